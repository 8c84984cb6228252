"""CodeDeploy AfterAllowTraffic hook: tag the image the new task set runs
released-<deployment id> in this target's repository. The repository's
lifecycle policy never expires such images for the count rule, so the
image production runs (and the ones rollbacks return to) stays pullable
however many builds are pushed after it."""
import os
import re

import boto3

codedeploy = boto3.client("codedeploy")
ecs = boto3.client("ecs")
ecr = boto3.client("ecr")
TASKDEF = re.compile(r"arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:task-definition/[A-Za-z0-9_-]+:[0-9]+")


def released_image(deployment_id):
    info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    content = info["revision"]["appSpecContent"]["content"]
    arn = TASKDEF.search(content).group(0)
    td = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    for c in td["containerDefinitions"]:
        if c["name"] == os.environ["CONTAINER"]:
            return c["image"]
    raise RuntimeError(f"{arn} has no container {os.environ['CONTAINER']}")


def handler(event, context):
    result = "Failed"
    deployment = event["DeploymentId"]
    try:
        image = released_image(deployment)
        repo, _, digest = image.partition("@")
        repository = os.environ["REPOSITORY"]
        if not repo.endswith("/" + repository) or not digest.startswith("sha256:"):
            raise RuntimeError(f"{image} is not a digest in {repository}")
        got = ecr.batch_get_image(repositoryName=repository, imageIds=[{"imageDigest": digest}])["images"]
        if not got:
            raise RuntimeError(f"{digest} is not in {repository}")
        try:
            ecr.put_image(repositoryName=repository, imageManifest=got[0]["imageManifest"],
                          imageManifestMediaType=got[0]["imageManifestMediaType"],
                          imageDigest=digest, imageTag="released-" + deployment)
        except ecr.exceptions.ImageAlreadyExistsException:
            pass  # a retry of this hook
        print(f"tagged {digest} released-{deployment}")
        result = "Succeeded"
    except Exception as e:
        print(f"could not protect the released image: {e!r}")
    finally:
        codedeploy.put_lifecycle_event_hook_execution_status(
            deploymentId=deployment, lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
            status=result)
    return result
