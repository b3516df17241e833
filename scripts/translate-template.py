#!/usr/bin/env python3
"""Translate the SAM template into plain CloudFormation JSON, offline.

Usage: translate-template.py [--raw] TEMPLATE [Name=Value ...]

Prints the CloudFormation template that `sam deploy` would create, as JSON,
using aws-sam-translator (the library behind the AWS::Serverless transform)
with the given parameter values. With --raw it prints the SAM template itself
as JSON, short-form intrinsics (!Ref, !Sub ...) spelled out in long form.

Like `sam validate`, it replaces local CodeUri paths with a placeholder S3
location, since the translator accepts only S3 code locations, and gives a
container-image function without an ImageUri a placeholder one. It needs no
AWS credentials and no network; the region defaults to us-east-1.
"""

import json
import os
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """Stands in for the IAM lookup of AWS managed policy names.

    The template names managed policies by ARN only, so the translator never
    needs a name -> ARN map; an empty one makes any name in a Policies list
    fail translation instead of silently calling IAM.
    """

    def load(self):
        return {}


# The property that holds local code, by resource type (SAM's own table).
CODE_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}


def placeholder_code_uris(template):
    """Replace local code paths (Globals, functions, layers) with S3 URIs."""
    sections = [(template.get("Globals", {}).get("Function", {}), "CodeUri")]
    sections += [
        (r.get("Properties", {}), CODE_PROPERTIES[r.get("Type")])
        for r in template.get("Resources", {}).values()
        if r.get("Type") in CODE_PROPERTIES
    ]
    for props, key in sections:
        if props.get("PackageType") == "Image":
            # sam build sets the image it built (deploy/container).
            props.setdefault("ImageUri", "123456789012.dkr.ecr.us-east-1.amazonaws.com/djfront-placeholder:latest")
            continue
        uri = props.get(key)
        if isinstance(uri, str) and not uri.startswith("s3://"):
            props[key] = "s3://djfront-placeholder/" + (uri.strip("./") or "root")


def main(argv):
    raw = "--raw" in argv
    args = [a for a in argv if a != "--raw"]
    if not args:
        sys.exit(__doc__)
    with open(args[0], encoding="utf-8") as f:
        template = yaml_parse(f.read())
    if not raw:
        params = dict(a.split("=", 1) for a in args[1:])
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        placeholder_code_uris(template)
        template = transform(template, params, NoManagedPolicies())
    json.dump(template, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
