"""Open a pull request from SOURCE_BRANCH to TARGET_BRANCH unless one is open."""
import os

import boto3

codecommit = boto3.client("codecommit")
REPOSITORY = os.environ["REPOSITORY"]
SOURCE = os.environ["SOURCE_BRANCH"]
TARGET = os.environ["TARGET_BRANCH"]


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


def handler(event, context):
    existing = open_pull_request()
    if existing:
        return {"created": False, "pullRequestId": existing}
    pr = codecommit.create_pull_request(
        title="Merge " + SOURCE + " into " + TARGET,
        description="Opened by bgc on a push to " + SOURCE + ".",
        targets=[{"repositoryName": REPOSITORY,
                  "sourceReference": SOURCE,
                  "destinationReference": TARGET}])["pullRequest"]
    return {"created": True, "pullRequestId": pr["pullRequestId"]}
