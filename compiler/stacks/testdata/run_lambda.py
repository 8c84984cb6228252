"""Runs one of bgc's Lambda functions against stub clients.

usage: run_lambda.py FUNCTION.py SCENARIO.json
The scenario gives the environment, the event and, per client, canned
answers; the result printed is the handler's return value and every call
the function made, as JSON."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "pystub"))
import boto3  # the stub
from botocore.exceptions import ClientError

source, scenario = sys.argv[1], json.load(open(sys.argv[2]))
calls = []


class Client:
    def __init__(self, name, answers):
        self.name, self.answers = name, answers

        class Exceptions:
            class ImageAlreadyExistsException(Exception):
                pass
        self.exceptions = Exceptions

    def __getattr__(self, op):
        def call(**kwargs):
            calls.append({"client": self.name, "op": op, "args": kwargs})
            answer = self.answers.get(op, {})
            if isinstance(answer, list):  # one answer per call
                answer = answer.pop(0) if len(answer) > 1 else answer[0]
            if "error" in answer:
                raise ClientError({"Error": {"Code": answer["error"], "Message": "stub"}}, op)
            return answer
        return call

    def get_paginator(self, op):
        client = self

        class Paginator:
            def paginate(self, **kwargs):
                return [getattr(client, op)(**kwargs)]
        return Paginator()


answers = scenario.get("clients", {})
boto3.client = lambda name, **kwargs: boto3.CLIENTS.setdefault(name, Client(name, answers.get(name, {})))
os.environ.update(scenario.get("env", {}))
ns = {"__name__": "index"}
exec(compile(open(source).read(), source, "exec"), ns)
result = ns["handler"](scenario.get("event", {}), None)
print(json.dumps({"result": result, "calls": calls}))
