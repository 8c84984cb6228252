"""CodeDeploy AfterAllowTestTraffic hook: request each path through the
test listener, which now serves the replacement task set, from inside the
VPC, and report Succeeded only if every path answers as expected on every
load balancer node. The load balancer is reached at its private addresses:
its public DNS name would leave the VPC through the NAT gateway."""
import http.client
import json
import os
import ssl
import time

import boto3

codedeploy = boto3.client("codedeploy")
ec2 = boto3.client("ec2")


def matches(matcher, code):
    for part in matcher.split(","):
        lo, _, hi = part.partition("-")
        if int(lo) <= code <= int(hi or lo):
            return True
    return False


def addresses():
    nis = ec2.describe_network_interfaces(Filters=[
        {"Name": "description", "Values": ["ELB " + os.environ["LOAD_BALANCER"]]}])["NetworkInterfaces"]
    return sorted(n["PrivateIpAddress"] for n in nis)


def status(ip, path):
    port, timeout = int(os.environ["PORT"]), 5
    if os.environ["PROTOCOL"] == "HTTPS":
        # The listener's certificate names the service, not this address.
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        conn = http.client.HTTPSConnection(ip, port, timeout=timeout, context=ctx)
    else:
        conn = http.client.HTTPConnection(ip, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": os.environ["HOST"], "User-Agent": "bgc-smoke-test"})
        return conn.getresponse().status
    finally:
        conn.close()


def check(ips, path, matcher):
    """Every address answers path as matcher wants, within ATTEMPTS tries."""
    last = "no answer"
    for _ in range(int(os.environ.get("ATTEMPTS", "12"))):
        try:
            got = [status(ip, path) for ip in ips]
            if all(matches(matcher, c) for c in got):
                return None
            last = f"statuses {got}"
        except OSError as e:
            last = str(e)
        time.sleep(float(os.environ.get("PAUSE", "5")))
    return f"GET {path}: {last}, want {matcher}"


def handler(event, context):
    result = "Failed"
    try:
        ips = addresses()
        if not ips:
            raise RuntimeError("no network interface of " + os.environ["LOAD_BALANCER"])
        failures = [f for f in (check(ips, p, m) for p, m in json.loads(os.environ["CHECKS"])) if f]
        for f in failures:
            print(f)
        if not failures:
            result = "Succeeded"
    except Exception as e:  # any failure fails the deployment, with its reason
        print(f"smoke test failed: {e!r}")
    finally:
        codedeploy.put_lifecycle_event_hook_execution_status(
            deploymentId=event["DeploymentId"],
            lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
            status=result)
    return result
