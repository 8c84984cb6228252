"""moto_server with the gaps filled that bgc's end-to-end tests need.

Started exactly like moto_server (same arguments). It imports moto, adds
what follows, then runs moto's own server entry point. Nothing else of
moto changes, and bgc's templates are deployed as they are.

1. AWS::KMS::ReplicaKey. moto's CloudFormation skips the type, so a replica
   key stack cannot create the alias that targets the replica. Here a
   ReplicaKey replicates the primary key (PrimaryKeyArn) into the stack's
   region as AWS does: same key id, that region's ARN. Ref gives the key id, GetAtt Arn/KeyId the usual values.

2. Outputs after ExecuteChangeSet. moto rebuilds a stack's outputs after
   CreateStack/UpdateStack but not after executing a change set, so a stack
   deployed through change sets reports no (or stale) outputs. Here the
   outputs and parameters are refreshed after every executed change set.

3. Termination protection. moto does not implement
   UpdateTerminationProtection ("has not been implemented", so every
   retained stack burned the SDK's retries and stayed unprotected), and its
   DeleteStack ignores the flag. Here the call sets it, and DeleteStack
   refuses a protected stack with AWS's ValidationError.

4. Executing a change set twice. moto runs an executed change set again;
   CloudFormation refuses it (ExecuteChangeSet's InvalidChangeSetStatus:
   "The specified change set can't be used to update the stack. For example,
   the change set status might be CREATE_IN_PROGRESS, or the stack status
   might be UPDATE_IN_PROGRESS.", AWS CloudFormation API Reference). Here a
   change set whose execution started or ended is refused the same way, so
   a retried ExecuteChangeSet whose first reply was lost behaves as on AWS.

5. A CREATE change set on a REVIEW_IN_PROGRESS stack. CloudFormation
   reuses that stack (it holds only change sets); moto made a second stack
   of the same name, so the executed one was not the one DescribeStacks
   shows. Here the existing stack is reused, and a CREATE change set on a
   stack that is past review is refused as AWS does ("already exists").

6. Replica keys. A ReplicaKey used to share the primary's mutable state
   (moto's own ReplicateKey makes the same shallow copy), so concurrent
   requests for the primary and its replicas in different regions could
   change one dictionary while another request iterated it. Here a replica
   is a deep copy, made under a lock. And moto's change-set execution (and
   ListStackResources, which creates what is missing) ignores DependsOn:
   the replica stack's Alias was created before its Key and failed with
   HTTP 500 (KeyError). Here a resource's DependsOn are created first, as
   CloudFormation orders them.

7. Updates of types moto cannot update. For a resource type without an
   update handler, moto's stack update replaced the resource with nothing:
   its Ref and GetAtt became None and every output of the stack vanished.
   Here such a resource stays as it was (moto does not apply the change),
   and a target group applies the health-check properties CloudFormation
   updates in place (ModifyTargetGroup), so an update of them is visible.

8. Flow logs to a folder of a bucket. AWS takes an S3 destination
   "arn:aws:s3:::bucket/folder/" ("You can also specify a subfolder in the
   bucket", VPC flow logs to Amazon S3); moto looked up a bucket named
   "bucket/folder/" and created no flow log. Here the bucket is looked up by
   its name and the flow log keeps the destination it was given.

9. Lambda GetAccountSettings. moto does not route it (GET
   /2016-08-19/account-settings/ answered 404), so bgc deploy's check of
   the account's concurrency quota before reserving some could not run.
   Here it answers as Lambda does: AccountLimit.ConcurrentExecutions is
   MOTO_LAMBDA_CONCURRENCY_QUOTA (the knob moto's PutFunctionConcurrency
   enforces a quota with when it is set), or 1000, Lambda's default quota,
   when it is not; UnreservedConcurrentExecutions is that minus the
   executions the account's functions in the region reserve.
"""

import sys
import threading
from copy import deepcopy

from moto.cloudformation import exceptions as cfn_exceptions
from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation import responses as cfn_responses
from moto.cloudformation.exceptions import ValidationError
from moto.core.common_models import CloudFormationModel
from moto.core.responses import ActionResult
from moto.kms.models import kms_backends

_replica_lock = threading.Lock()


class ReplicaKey(CloudFormationModel):
    """AWS::KMS::ReplicaKey backed by moto's KMS ReplicateKey."""

    # moto files every model under the service named by its module.
    __module__ = "moto.kms.bgc_replica_key"

    def __init__(self, key):
        self.key = key

    @staticmethod
    def cloudformation_name_type():
        return ""

    @staticmethod
    def cloudformation_type():
        return "AWS::KMS::ReplicaKey"

    @property
    def physical_resource_id(self):
        return self.key.id

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr in ("Arn", "KeyId")

    def get_cfn_attribute(self, attribute_name):
        if attribute_name == "Arn":
            return self.key.arn
        if attribute_name == "KeyId":
            return self.key.id
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        # arn:<partition>:kms:<region>:<account>:key/<key id>
        parts = props["PrimaryKeyArn"].split(":", 5)
        primary_region, key_id = parts[3], parts[5].split("/", 1)[1]
        # moto's CloudFormation ignores MultiRegion on the primary, so its
        # ReplicateKey (which expects a multi-region key) cannot be used;
        # copy the key into this region the way ReplicateKey does.
        with _replica_lock:
            key = deepcopy(kms_backends[account_id][primary_region].keys[key_id])
            key.region = region_name
            key.arn = key.arn.replace(":" + primary_region + ":", ":" + region_name + ":")
            kms_backends[account_id][region_name].keys[key.id] = key
        return cls(key)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name
    ):
        return None


_execute_change_set = cfn_models.CloudFormationBackend.execute_change_set


class InvalidChangeSetStatus(cfn_exceptions.CloudFormationError):
    code = "InvalidChangeSetStatus"


def execute_change_set(self, change_set_name, stack_name=None):
    change_set = self.change_sets.get(change_set_name)
    if change_set is None:
        for cs in self.change_sets.values():
            if cs.change_set_name == change_set_name:
                change_set = cs
    if change_set is not None and change_set.execution_status in ("EXECUTE_IN_PROGRESS", "EXECUTE_COMPLETE", "EXECUTE_FAILED"):
        raise InvalidChangeSetStatus(
            "ChangeSet [%s] cannot be executed in its current status of [%s]" % (change_set.change_set_id, change_set.execution_status)
        )
    _execute_change_set(self, change_set_name, stack_name)
    stack = self.stacks[change_set.stack_id]
    stack._parse_template()
    stack.parameters = change_set.parameters
    stack.output_map = stack._create_output_map()


cfn_models.CloudFormationBackend.execute_change_set = execute_change_set


_create_change_set = cfn_models.CloudFormationBackend.create_change_set


def create_change_set(self, stack_name, change_set_name, template, parameters, description, change_set_type, *args, **kwargs):
    existing = None
    if change_set_type == "CREATE":
        for stack in self.stacks.values():
            if stack.name == stack_name:
                if stack.status != "REVIEW_IN_PROGRESS":
                    raise ValidationError(
                        stack_name,
                        message="Stack [%s] already exists and cannot be created again with the changeSet [%s]." % (stack_name, change_set_name),
                    )
                existing = stack
    change_set_id, stack_id = _create_change_set(
        self, stack_name, change_set_name, template, parameters, description, change_set_type, *args, **kwargs
    )
    if existing is None:
        return change_set_id, stack_id
    self.stacks.pop(stack_id)
    change_set = self.change_sets[change_set_id]
    change_set.stack, change_set.stack_id = existing, existing.stack_id
    existing.parameters = change_set.parameters
    return change_set_id, existing.stack_id


cfn_models.CloudFormationBackend.create_change_set = create_change_set


def update_termination_protection(self):
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    stack.enable_termination_protection = str(self._get_param("EnableTerminationProtection")).lower() == "true"
    return ActionResult({"StackId": stack.stack_id})


cfn_responses.CloudFormationResponse.update_termination_protection = update_termination_protection

_delete_stack = cfn_models.CloudFormationBackend.delete_stack


def delete_stack(self, name_or_stack_id):
    for stack in list(self.stacks.values()):
        if name_or_stack_id in (stack.stack_id, stack.name) and stack.enable_termination_protection:
            raise ValidationError(
                name_or_stack_id,
                message="Stack [%s] cannot be deleted while TerminationProtection is enabled" % stack.name,
            )
    _delete_stack(self, name_or_stack_id)


cfn_models.CloudFormationBackend.delete_stack = delete_stack

_getitem = cfn_parsing.ResourceMap.__getitem__


def getitem(self, key):
    if key not in self._parsed_resources and key in self._resource_json_map:
        deps = self._resource_json_map[key].get("DependsOn", [])
        for dep in [deps] if isinstance(deps, str) else deps:
            if dep != key and dep in self._resource_json_map:
                _ = self[dep]
    return _getitem(self, key)


cfn_parsing.ResourceMap.__getitem__ = getitem

_parse_and_update_resource = cfn_parsing.parse_and_update_resource


def parse_and_update_resource(logical_id, resource_json, resources_map, account_id, region_name):
    updated = _parse_and_update_resource(logical_id, resource_json, resources_map, account_id, region_name)
    if updated is not None:
        return updated
    try:
        return resources_map[logical_id]
    except KeyError:
        return None


cfn_parsing.parse_and_update_resource = parse_and_update_resource


def _update_target_group(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
    from moto.elbv2.models import elbv2_backends

    props = cloudformation_json.get("Properties", {})
    matcher = props.get("Matcher") or {}
    return elbv2_backends[account_id][region_name].modify_target_group(
        original_resource.arn,
        health_check_proto=props.get("HealthCheckProtocol"),
        health_check_port=props.get("HealthCheckPort"),
        health_check_path=props.get("HealthCheckPath"),
        health_check_interval=props.get("HealthCheckIntervalSeconds"),
        health_check_timeout=props.get("HealthCheckTimeoutSeconds"),
        healthy_threshold_count=props.get("HealthyThresholdCount"),
        unhealthy_threshold_count=props.get("UnhealthyThresholdCount"),
        http_codes=matcher.get("HttpCode"),
        health_check_enabled=props.get("HealthCheckEnabled"),
    )


def _patch_target_group():
    from moto.elbv2.models import FakeTargetGroup

    FakeTargetGroup.update_from_cloudformation_json = classmethod(_update_target_group)


_patch_target_group()


def _patch_flow_logs():
    from moto.ec2.models.flow_logs import FlowLogsBackend

    original = FlowLogsBackend.create_flow_logs

    def create_flow_logs(self, resource_type, resource_ids, traffic_type, deliver_logs_permission_arn,
                         log_destination_type, log_destination, *args, **kwargs):
        bucket_only = log_destination
        if log_destination_type == "s3" and log_destination and log_destination.count(":") >= 5:
            head, _, path = log_destination.rpartition(":")
            bucket_only = head + ":" + path.split("/", 1)[0]
        flow_logs, unsuccessful = original(self, resource_type, resource_ids, traffic_type, deliver_logs_permission_arn,
                                           log_destination_type, bucket_only, *args, **kwargs)
        for fl in flow_logs:
            fl.log_destination = log_destination
        return flow_logs, unsuccessful

    FlowLogsBackend.create_flow_logs = create_flow_logs


_patch_flow_logs()


def _patch_lambda_account_settings():
    import json
    import os

    from moto.awslambda import urls as lambda_urls
    from moto.awslambda.responses import LambdaResponse

    def account_settings(request, full_url, headers):
        response = LambdaResponse()
        response.setup_class(request, full_url, headers)
        quota = int(os.environ.get("MOTO_LAMBDA_CONCURRENCY_QUOTA", "1000"))
        functions = response.backend.list_functions()
        reserved = sum(int(fn.reserved_concurrency) for fn in functions if fn.reserved_concurrency)
        body = {
            "AccountLimit": {
                "TotalCodeSize": 80530636800,
                "CodeSizeUnzipped": 262144000,
                "CodeSizeZipped": 52428800,
                "ConcurrentExecutions": quota,
                "UnreservedConcurrentExecutions": quota - reserved,
            },
            "AccountUsage": {"TotalCodeSize": 0, "FunctionCount": len(functions)},
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    lambda_urls.url_paths[r"{0}/(?P<api_version>[^/]+)/account-settings/?$"] = account_settings


_patch_lambda_account_settings()

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main(sys.argv[1:]))
