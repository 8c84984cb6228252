"""moto_server with two gaps filled that bgc's end-to-end tests need.

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
"""

import sys
from copy import copy

from moto.cloudformation import models as cfn_models
from moto.core.common_models import CloudFormationModel
from moto.kms.models import kms_backends


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
        key = copy(kms_backends[account_id][primary_region].keys[key_id])
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


def execute_change_set(self, change_set_name, stack_name=None):
    change_set = self.change_sets.get(change_set_name)
    if change_set is None:
        for cs in self.change_sets.values():
            if cs.change_set_name == change_set_name:
                change_set = cs
    _execute_change_set(self, change_set_name, stack_name)
    stack = self.stacks[change_set.stack_id]
    stack._parse_template()
    stack.parameters = change_set.parameters
    stack.output_map = stack._create_output_map()


cfn_models.CloudFormationBackend.execute_change_set = execute_change_set

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main(sys.argv[1:]))
