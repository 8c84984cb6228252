"""A stand-in for boto3 in the tests of bgc's Lambda functions: the test
driver (run_lambda.py) replaces client() with one that hands out stub
clients answering from the test's scenario."""
CLIENTS = {}


def client(name, **kwargs):
    raise RuntimeError("no stub client " + name)
