"""Holds the service's automatic scaling still while a blue/green deployment
runs, and lets it go again when the deployment ends.

Invoked two ways:
- as the CodeDeploy BeforeInstall hook (the event carries DeploymentId and
  LifecycleEventHookExecutionId): suspend dynamic and scheduled scaling,
  then report to CodeDeploy;
- by the EventBridge rule on the deployment group's "CodeDeploy Deployment
  State-change Notification" for SUCCESS, FAILURE or STOP: resume it.

Why: "If a service is in the process of a blue/green deployment and a
scaling event occurs, the desired task count might be set to an unexpected
value." (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-bluegreen.html)
RegisterScalableTarget on an existing target changes only what it is given
("Any parameters that you don't specify are not changed by this update
request", API_RegisterScalableTarget)."""
import os

import boto3

autoscaling = boto3.client("application-autoscaling")
codedeploy = boto3.client("codedeploy")


def set_suspended(suspended):
    autoscaling.register_scalable_target(
        ServiceNamespace="ecs",
        ScalableDimension="ecs:service:DesiredCount",
        ResourceId=os.environ["RESOURCE_ID"],
        SuspendedState={
            "DynamicScalingInSuspended": suspended,
            "DynamicScalingOutSuspended": suspended,
            "ScheduledScalingSuspended": suspended,
        },
    )


def handler(event, context):
    if "LifecycleEventHookExecutionId" in event:
        # Failing the hook stops the deployment (and CodeDeploy rolls it
        # back): a release never runs with scaling that can double it.
        status = "Failed"
        try:
            set_suspended(True)
            print(f"suspended scaling of {os.environ['RESOURCE_ID']} for deployment {event['DeploymentId']}")
            status = "Succeeded"
        except Exception as e:
            print(f"could not suspend scaling of {os.environ['RESOURCE_ID']}: {e!r}")
        finally:
            codedeploy.put_lifecycle_event_hook_execution_status(
                deploymentId=event["DeploymentId"],
                lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
                status=status,
            )
        return status
    detail = event.get("detail", {})
    set_suspended(False)
    print(f"resumed scaling of {os.environ['RESOURCE_ID']}: deployment {detail.get('deploymentId')} ended {detail.get('state')}")
    return "resumed"
