"""Open a pull request from SOURCE_BRANCH to TARGET_BRANCH unless one is
open or there is nothing to merge. Each request's idempotency token is the
branches' merge base, which quick pushes share, so two invocations racing
on them open one pull request between them (the second gets it back, or
an IdempotencyParameterMismatch); once the pull request is merged, the
merge base moves and the next push opens a new one."""
import os

import boto3
from botocore.exceptions import ClientError

codecommit = boto3.client("codecommit")
REPOSITORY = os.environ["REPOSITORY"]
SOURCE = os.environ["SOURCE_BRANCH"]
TARGET = os.environ["TARGET_BRANCH"]
# Answers that mean there is nothing to do; anything else is a failure.
NOTHING_TO_DO = {
    "SourceAndDestinationAreSameException",
    "ReferenceDoesNotExistException",
    "BranchDoesNotExistException",
    "IdempotencyParameterMismatchException",
}


def open_pull_request():
    """Return the id of an open pull request SOURCE -> TARGET, or None."""
    pages = codecommit.get_paginator("list_pull_requests").paginate(
        repositoryName=REPOSITORY, pullRequestStatus="OPEN")
    for page in pages:
        for pr_id in page["pullRequestIds"]:
            pr = codecommit.get_pull_request(pullRequestId=pr_id)["pullRequest"]
            for t in pr["pullRequestTargets"]:
                if (t["sourceReference"] == "refs/heads/" + SOURCE
                        and t["destinationReference"] == "refs/heads/" + TARGET):
                    return pr_id
    return None


def tip(branch):
    return codecommit.get_branch(repositoryName=REPOSITORY, branchName=branch)["branch"]["commitId"]


def handler(event, context):
    try:
        existing = open_pull_request()
        if existing:
            return {"created": False, "pullRequestId": existing}
        source, target = tip(SOURCE), tip(TARGET)
        base = codecommit.get_merge_base(repositoryName=REPOSITORY,
                                         sourceCommitSpecifier=source,
                                         destinationCommitSpecifier=target)["baseCommitId"]
        if source == target or base == source:
            print(f"{SOURCE} has nothing {TARGET} lacks; no pull request")
            return {"created": False}
        pr = codecommit.create_pull_request(
            title="Merge " + SOURCE + " into " + TARGET,
            description="Opened by bgc on a push to " + SOURCE + ".",
            targets=[{"repositoryName": REPOSITORY,
                      "sourceReference": SOURCE,
                      "destinationReference": TARGET}],
            clientRequestToken="bgc-" + base)["pullRequest"]
        return {"created": True, "pullRequestId": pr["pullRequestId"]}
    except ClientError as e:
        code = e.response.get("Error", {}).get("Code", "")
        if code in NOTHING_TO_DO:
            print(f"no pull request: {code}: {e}")
            return {"created": False, "reason": code}
        raise
