package stacks

import (
	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
)

// appspecYAML is the CodeDeploy AppSpec of the ECS service. The deploy
// action replaces <TASK_DEFINITION> with the revision it registers; the
// container name and port match the service's load balancer entry; the
// hooks name the target's hook functions ("An AWS Lambda hook is one Lambda
// function specified with a string on a new line after the name of the
// lifecycle event", reference-appspec-file-structure-hooks). AppSpec keeps
// its conventional key order and "version: 0.0" verbatim.
func appspecYAML(app *model.App) ([]byte, error) {
	doc := cfn.Ordered{
		{Key: "version", Value: cfn.Verbatim{Tag: "!!float", Text: "0.0"}},
		{Key: "Resources", Value: []any{cfn.Ordered{
			{Key: "TargetService", Value: cfn.Ordered{
				{Key: "Type", Value: "AWS::ECS::Service"},
				{Key: "Properties", Value: cfn.Ordered{
					{Key: "TaskDefinition", Value: "<TASK_DEFINITION>"},
					{Key: "LoadBalancerInfo", Value: cfn.Ordered{
						{Key: "ContainerName", Value: app.ContainerName()},
						{Key: "ContainerPort", Value: app.Service.Port},
					}},
					{Key: "PlatformVersion", Value: "LATEST"},
				}},
			}},
		}}},
	}
	var hooks []any
	for _, h := range appspecHooks(app) {
		hooks = append(hooks, cfn.Ordered{h})
	}
	doc = append(doc, cfn.Field{Key: "Hooks", Value: hooks})
	return cfn.Marshal(doc, cfn.YAML)
}
