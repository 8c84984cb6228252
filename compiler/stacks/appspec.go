package stacks

import (
	"bytes"
	"fmt"

	"github.com/bgc-dev/bgc/compiler/model"
	"go.yaml.in/yaml/v3"
)

// appspecYAML is the CodeDeploy AppSpec of the ECS service. The deploy
// action replaces <TASK_DEFINITION> with the revision it registers; the
// container name and port match the service's load balancer entry. Built as
// a node tree to keep AppSpec's key order and "version: 0.0" verbatim.
func appspecYAML(app *model.App) ([]byte, error) {
	scalar := func(tag, v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v} }
	str := func(v string) *yaml.Node { return scalar("!!str", v) }
	mapping := func(kv ...*yaml.Node) *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Content: kv} }
	doc := mapping(
		str("version"), scalar("!!float", "0.0"),
		str("Resources"), &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{mapping(
			str("TargetService"), mapping(
				str("Type"), str("AWS::ECS::Service"),
				str("Properties"), mapping(
					str("TaskDefinition"), str("<TASK_DEFINITION>"),
					str("LoadBalancerInfo"), mapping(
						str("ContainerName"), str(app.ContainerName()),
						str("ContainerPort"), scalar("!!int", fmt.Sprint(app.Service.Port)),
					),
					str("PlatformVersion"), str("LATEST"),
				),
			),
		)}},
	)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
