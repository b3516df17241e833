#!/usr/bin/env python3
"""Generate the CloudFormation service role's policy from the registry.

Usage: service-role-policy.py [--schemas DIR] [--exclusions] TEMPLATE.json ...

Reads one or more translated templates (scripts/translate-template.py, one per
parameter set worth covering), collects their resource types, and prints the
IAM policy the role djfront-cloudformation needs to create, read, update and
delete them: every permission the CloudFormation registry lists for the
types' handlers (create, read, update, delete; list is never called for a
stack), sorted into the statements below, which scope them to djfront*
names where the service allows it. With --exclusions it prints instead, as
JSON, the handler permissions left out and why.

    python3 scripts/translate-template.py template.yaml UpstreamUrl=https://x.example \\
      DomainName=www.example.com CertificateArn=arn:aws:acm:us-east-1:...  >/tmp/t.json
    python3 scripts/translate-template.py template.yaml AppMode=in-function >/tmp/in-function.json
    python3 scripts/service-role-policy.py /tmp/t.json /tmp/in-function.json \\
      >deploy/cloudformation-service-role-policy.json

(TestServiceRolePolicy in test/template covers both app modes and prints the
generated policy when the committed one differs.)

Schemas: DIR holds registry schemas, either as AWS publishes them
(CloudformationSchema.zip unpacked: aws-lambda-function.json) or as the Go
module github.com/aws-cloudformation/rain embeds them
(internal/aws/cfn/schemas/aws/lambda/function.json). Without --schemas the
script uses the pinned rain module from the Go module cache (`go mod
download` fetches it once; scripts/install-tools.sh does).

A permission is left out only when it serves a property the templates do not
set (EXCLUDED, each with the property that needs it: once a template sets
that property the permission is granted again, so the policy cannot silently
fall behind), or when it is not an IAM action at all. Resource types without registry handlers and
calls CloudFormation makes besides the handlers are in EXTRA, with their
source. A permission that fits no statement is an error: add a statement.
"""

import json
import os
import subprocess
import sys

RAIN = "github.com/aws-cloudformation/rain@v1.24.4"
HANDLERS = ("create", "read", "update", "delete")

ACCOUNT = "arn:aws:{service}:*:*:"

# Permissions CloudFormation needs besides the registry's handler lists:
# types whose handlers predate the registry (no permissions published),
# calls it makes to resolve properties, and permissions the current registry
# lists that the pinned snapshot predates.
EXTRA = {
    # Legacy handler, no registry permissions; HTTP API access logs to
    # CloudWatch Logs need the log-delivery calls (API Gateway developer
    # guide, "Configuring logging for an HTTP API").
    "AWS::ApiGatewayV2::Stage": [
        "apigateway:POST", "apigateway:GET", "apigateway:PATCH", "apigateway:DELETE",
        "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
    ],
    # Legacy handler, no registry permissions (Route 53 API reference).
    "AWS::Route53::RecordSet": [
        "route53:ChangeResourceRecordSets", "route53:GetChange", "route53:ListResourceRecordSets",
        "route53:GetHostedZone",
    ],
    # The managed policies a behaviour names are read when the distribution
    # is validated; a custom domain's certificate is described.
    "AWS::CloudFront::Distribution": [
        "cloudfront:GetCachePolicy", "cloudfront:GetOriginRequestPolicy",
        "cloudfront:GetResponseHeadersPolicy", "acm:DescribeCertificate",
        # WebAclArn: associating a web ACL reads it (AWS WAF developer
        # guide); read-only, on CLOUDFRONT-scope web ACLs only.
        "wafv2:GetWebACL",
    ],
    # In the current registry schemas (found by issue 10's review), newer
    # than the pinned snapshot.
    "AWS::Lambda::Function": ["lambda:GetFunctionScalingConfig"],
    "AWS::S3::Bucket": ["s3:TagResource", "s3:ListTagsForResource"],
    "AWS::IAM::Role": ["iam:ListRoleTags"],
    # {{resolve:secretsmanager:...}} is resolved with the stack's role.
    "AWS::SecretsManager::Secret": ["secretsmanager:GetSecretValue"],
}

# (resource type, permission, property that needs it or None, reason).
# Matching is case-insensitive; a permission ending in * is a prefix.
EXCLUDED = [
    ("AWS::ApiGatewayV2::Api", "s3:GetObject", "BodyS3Location", "only for an OpenAPI body in S3; the template's is inline"),
    ("*", "kms:*", "KmsKeyArn|KmsKeyId|KmsMasterKeyId", "customer managed KMS keys; the template uses AWS-owned keys"),
    ("AWS::Lambda::Function", "ec2:*", "VpcConfig", "only for a function in a VPC"),
    ("AWS::Lambda::Function", "elasticfilesystem:*", "FileSystemConfigs", "only for an EFS mount"),
    ("AWS::Lambda::Function", "lambda:GetLayerVersion", "Layers", "only for layers"),
    ("AWS::Lambda::Function", "lambda:GetCodeSigningConfig", "CodeSigningConfigArn", "only for code signing"),
    ("AWS::Lambda::Function", "lambda:PutFunctionCodeSigningConfig", "CodeSigningConfigArn", "only for code signing"),
    ("AWS::Lambda::Function", "lambda:DeleteFunctionCodeSigningConfig", "CodeSigningConfigArn", "only for code signing"),
    ("AWS::Lambda::Alias", "codedeploy:*", None, "only for CodeDeploy traffic shifting (UpdatePolicy CodeDeployLambdaAliasUpdate)"),
    ("AWS::Lambda::Alias", "lambda:PutProvisionedConcurrencyConfig", "ProvisionedConcurrencyConfig", "only with provisioned concurrency"),
    ("AWS::Lambda::Alias", "lambda:DeleteProvisionedConcurrencyConfig", "ProvisionedConcurrencyConfig", "only with provisioned concurrency"),
    ("AWS::Lambda::Version", "lambda:PutProvisionedConcurrencyConfig", "ProvisionedConcurrencyConfig", "only with provisioned concurrency"),
    ("AWS::Lambda::Version", "lambda:DeleteProvisionedConcurrencyConfig", "ProvisionedConcurrencyConfig", "only with provisioned concurrency"),
    ("AWS::Logs::LogGroup", "firehose:*", "DataProtectionPolicy", "only for a data protection policy that audits to Firehose"),
    ("AWS::Logs::LogGroup", "s3:REST.PUT.OBJECT", None, "not an IAM action (an S3 log operation name)"),
    ("AWS::S3::Bucket", "s3tables:*", "MetadataTableConfiguration|MetadataConfiguration", "only for S3 Metadata tables"),
    ("AWS::S3::Bucket", "iam:PassRole", "ReplicationConfiguration", "only for replication's role"),
    ("AWS::IAM::ManagedPolicy", "iam:AttachGroupPolicy", "Groups", "only when the template attaches it to groups"),
    ("AWS::IAM::ManagedPolicy", "iam:DetachGroupPolicy", "Groups", "only when the template attaches it to groups"),
    ("AWS::IAM::ManagedPolicy", "iam:AttachUserPolicy", "Users", "only when the template attaches it to users"),
    ("AWS::IAM::ManagedPolicy", "iam:DetachUserPolicy", "Users", "only when the template attaches it to users"),
    ("AWS::IAM::ManagedPolicy", "iam:AttachRolePolicy", "Roles", "only when the template attaches it to roles"),
    ("AWS::IAM::ManagedPolicy", "iam:DetachRolePolicy", "Roles", "only when the template attaches it to roles"),
    ("AWS::IAM::Role", "iam:PutRolePermissionsBoundary", "PermissionsBoundary", "only with a permissions boundary"),
    ("AWS::IAM::Role", "iam:DeleteRolePermissionsBoundary", "PermissionsBoundary", "only with a permissions boundary"),
    ("AWS::SecretsManager::Secret", "secretsmanager:ReplicateSecretToRegions", "ReplicaRegions", "only for replicas"),
    ("AWS::SecretsManager::Secret", "secretsmanager:RemoveRegionsFromReplication", "ReplicaRegions", "only for replicas"),
    ("AWS::EC2::VPCEndpoint", "vpc-lattice:*", "ServiceNetworkArn", "only for a VPC Lattice service network endpoint"),
    ("AWS::EC2::VPCEndpoint", "vpce:AllowMultiRegion", "ServiceRegion", "only for an endpoint to another Region's service"),
    ("AWS::RDS::DBCluster", "iam:PassRole", "AssociatedRoles|MonitoringRoleArn", "only for roles the cluster assumes"),
    ("AWS::RDS::DBCluster", "rds:AddRoleToDBCluster", "AssociatedRoles", "only for roles the cluster assumes"),
    ("AWS::RDS::DBCluster", "rds:RemoveRoleFromDBCluster", "AssociatedRoles", "only for roles the cluster assumes"),
    ("AWS::RDS::DBCluster", "rds:EnableHttpEndpoint", "EnableHttpEndpoint", "only for the Data API"),
    ("AWS::RDS::DBCluster", "rds:DisableHttpEndpoint", "EnableHttpEndpoint", "only for the Data API"),
    ("AWS::RDS::DBCluster", "rds:DescribeGlobalClusters", "GlobalClusterIdentifier", "only for a global database"),
    ("AWS::RDS::DBCluster", "rds:RemoveFromGlobalCluster", "GlobalClusterIdentifier", "only for a global database"),
    ("AWS::RDS::DBCluster", "rds:Restore*", "SnapshotIdentifier|SourceDBClusterIdentifier",
     "only for a cluster restored from a snapshot or a point in time"),
    ("AWS::RDS::DBInstance", "iam:PassRole", "MonitoringRoleArn|AssociatedRoles|DomainIAMRoleName",
     "only for roles the instance assumes"),
    ("AWS::RDS::DBInstance", "rds:AddRoleToDBInstance", "AssociatedRoles", "only for roles the instance assumes"),
    ("AWS::RDS::DBInstance", "rds:RemoveRoleFromDBInstance", "AssociatedRoles", "only for roles the instance assumes"),
    ("AWS::RDS::DBInstance", "rds:Restore*", "DBSnapshotIdentifier|SourceDBInstanceIdentifier|RestoreTime|UseLatestRestorableTime",
     "only for an instance restored from a snapshot or a point in time"),
    ("AWS::RDS::DBInstance", "rds:CreateDBInstanceReadReplica", "SourceDBInstanceIdentifier", "only for a read replica"),
    ("AWS::RDS::DBInstance", "rds:PromoteReadReplica", "SourceDBInstanceIdentifier", "only for a read replica"),
    ("AWS::RDS::DBInstance", "rds:StartDBInstanceAutomatedBackupsReplication", "AutomaticBackupReplicationRegion",
     "only for backups replicated to another Region"),
    ("AWS::RDS::DBInstance", "rds:StopDBInstanceAutomatedBackupsReplication", "AutomaticBackupReplicationRegion",
     "only for backups replicated to another Region"),
]

SAM_ARTIFACTS = "arn:aws:s3:::aws-sam-cli-managed-default-samclisourcebucket-*/*"
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
# HostForwardFunctionRole's with the VPC option (VpcSubnetIds).
VPC_ACCESS = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
# The stack's own managed policies (MediaUploadPolicy on AppFunction's role):
# CloudFormation names them after the stack, djfront-<LogicalId>-<suffix>.
STACK_POLICIES = "arn:aws:iam::*:policy/djfront*"
# The secrets have no Name: CloudFormation names them <LogicalId>-<suffix>.
SECRETS = ["OriginVerifySecret", "UpstreamVerifySecret", "DjangoSecretKey", "DatabaseUrlSecret"]
# Database aurora-serverless: the cluster, its instance and subnet group are
# named after the stack by CloudFormation (djfront-<logicalid>-<suffix>, in
# lower case); RDS takes the default parameter and option groups, and names
# the final snapshot and the password's secret (rds!cluster-<id>) itself.
RDS = ["arn:aws:rds:*:*:cluster:djfront*", "arn:aws:rds:*:*:db:djfront*", "arn:aws:rds:*:*:subgrp:djfront*",
       "arn:aws:rds:*:*:cluster-snapshot:*", "arn:aws:rds:*:*:cluster-pg:default.*",
       "arn:aws:rds:*:*:pg:default.*", "arn:aws:rds:*:*:og:default:*"]
RDS_DESCRIBE = ["rds:DescribeDBClusters", "rds:DescribeDBInstances", "rds:DescribeDBSubnetGroups",
                "rds:DescribeDBClusterSnapshots", "rds:DescribeDBSnapshots", "rds:DescribeDBEngineVersions",
                "rds:DescribeDBInstanceAutomatedBackups", "rds:DescribeDBParameterGroups", "rds:DescribeEvents"]

# Statements in order; a permission goes to the first whose types (None:
# any) and actions (exact names) or services (prefixes) match it.
STATEMENTS = [
    {"Sid": "ReadLambdaCodeFromSamArtifacts", "types": ["AWS::Lambda::Function", "AWS::Lambda::LayerVersion"],
     "actions": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": SAM_ARTIFACTS},
    {"Sid": "PassFunctionRolesToLambda", "actions": ["iam:PassRole"], "Resource": "arn:aws:iam::*:role/djfront*",
     "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}},
    {"Sid": "FunctionRolesGetOnlyBasicExecution", "types": ["AWS::IAM::Role"],
     "actions": ["iam:AttachRolePolicy", "iam:DetachRolePolicy"], "Resource": "arn:aws:iam::*:role/djfront*",
     "Condition": {"ArnLike": {"iam:PolicyARN": [BASIC_EXECUTION, VPC_ACCESS, STACK_POLICIES]}}},
    {"Sid": "EventSourceMappingOfDjfrontFunctions", "types": ["AWS::Lambda::EventSourceMapping"],
     "actions": ["lambda:CreateEventSourceMapping", "lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"],
     "Resource": "*", "Condition": {"ArnLike": {"lambda:FunctionArn": "arn:aws:lambda:*:*:function:djfront*"}}},
    {"Sid": "EventSourceMappingRead", "types": ["AWS::Lambda::EventSourceMapping"],
     "actions": ["lambda:GetEventSourceMapping", "lambda:ListEventSourceMappings"], "Resource": "*"},
    # AppMode in-function's HostForwardLayer: published, read by the
    # function that uses it (lambda:GetLayerVersion, for its Layers), deleted.
    {"Sid": "HostForwardLayer",
     "actions": ["lambda:PublishLayerVersion", "lambda:GetLayerVersion", "lambda:DeleteLayerVersion"],
     "Resource": ["arn:aws:lambda:*:*:layer:djfront*", "arn:aws:lambda:*:*:layer:djfront*:*"]},
    {"Sid": "Functions", "services": ["lambda"],
     "Resource": ["arn:aws:lambda:*:*:function:djfront*", "arn:aws:lambda:*:*:event-source-mapping:*"]},
    {"Sid": "FunctionNetworking", "services": ["ec2"], "Resource": "*"},
    # Database dsql and aurora-serverless: each service creates its role
    # once per account, with the first cluster.
    {"Sid": "DatabaseServiceLinkedRoles", "types": ["AWS::DSQL::Cluster", "AWS::RDS::DBCluster", "AWS::RDS::DBInstance",
                                                    "AWS::RDS::DBSubnetGroup"],
     "actions": ["iam:CreateServiceLinkedRole"],
     "Resource": ["arn:aws:iam::*:role/aws-service-role/dsql.amazonaws.com/AWSServiceRoleForAuroraDsql",
                  "arn:aws:iam::*:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS"],
     "Condition": {"StringEquals": {"iam:AWSServiceName": ["dsql.amazonaws.com", "rds.amazonaws.com"]}}},
    # RDS reads the roles a cluster or instance could assume (none here).
    {"Sid": "DatabaseReadsRoles", "types": ["AWS::RDS::DBCluster", "AWS::RDS::DBInstance"],
     "actions": ["iam:GetRole", "iam:ListRoles"], "Resource": "*"},
    {"Sid": "FunctionRoles", "types": ["AWS::IAM::Role"], "services": ["iam"], "Resource": "arn:aws:iam::*:role/djfront*"},
    {"Sid": "ManagedPolicies", "types": ["AWS::IAM::ManagedPolicy"], "services": ["iam"],
     "Resource": "arn:aws:iam::*:policy/djfront*"},
    {"Sid": "HttpApi", "services": ["apigateway"],
     "Resource": ["arn:aws:apigateway:*::/apis", "arn:aws:apigateway:*::/apis/*", "arn:aws:apigateway:*::/tags/*"]},
    {"Sid": "CloudFrontNotScopableByName", "services": ["cloudfront"], "Resource": "*"},
    {"Sid": "Certificate", "services": ["acm"], "Resource": "arn:aws:acm:us-east-1:*:certificate/*"},
    {"Sid": "WebAcl", "services": ["wafv2"], "Resource": "arn:aws:wafv2:us-east-1:*:global/webacl/*"},
    {"Sid": "DnsRecords", "services": ["route53"],
     "Resource": ["arn:aws:route53:::hostedzone/*", "arn:aws:route53:::change/*"]},
    {"Sid": "AssetsBucket", "services": ["s3"], "Resource": "arn:aws:s3:::djfront-assets-*"},
    {"Sid": "Queues", "services": ["sqs"], "Resource": "arn:aws:sqs:*:*:djfront*"},
    # DSQL clusters have generated ids, not names: no narrower resource.
    {"Sid": "DsqlCluster", "services": ["dsql"], "Resource": "arn:aws:dsql:*:*:cluster/*"},
    {"Sid": "DatabaseDescribe", "actions": RDS_DESCRIBE, "Resource": "*"},
    {"Sid": "Database", "services": ["rds"], "Resource": RDS},
    # ManageMasterUserPassword: RDS creates the password's secret with the
    # caller's rights.
    {"Sid": "DatabasePasswordSecret", "types": ["AWS::RDS::DBCluster", "AWS::RDS::DBInstance"],
     "services": ["secretsmanager"], "Resource": "arn:aws:secretsmanager:*:*:secret:rds!*"},
    # The DSQL handlers read tag keys and values, which take no resource.
    {"Sid": "TagKeys", "services": ["tag"], "Resource": "*"},
    {"Sid": "GeneratePassword", "actions": ["secretsmanager:GetRandomPassword"], "Resource": "*"},
    {"Sid": "StackSecrets", "services": ["secretsmanager"],
     "Resource": [f"arn:aws:secretsmanager:*:*:secret:*{name}*" for name in SECRETS]},
    # Account-level Logs calls: describing, log deliveries and resource
    # policies take no log group ARN.
    {"Sid": "LogsAccountLevel", "services": ["logs"],
     "actions": ["logs:DescribeLogGroups", "logs:DescribeResourcePolicies", "logs:PutResourcePolicy",
                 "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
                 "logs:DeleteLogDelivery", "logs:ListLogDeliveries"], "Resource": "*"},
    {"Sid": "LogGroups", "services": ["logs"], "Resource": "arn:aws:logs:*:*:log-group:djfront*"},
    {"Sid": "Alarms", "services": ["cloudwatch"], "Resource": "arn:aws:cloudwatch:*:*:alarm:djfront*"},
    # RotateFunction's schedule (its header check): CloudFormation names the
    # rule after the stack, djfront-<LogicalId>-<suffix>.
    {"Sid": "Schedules", "services": ["events"], "Resource": "arn:aws:events:*:*:rule/djfront*"},
]


def fail(msg):
    sys.exit("service-role-policy: " + msg)


def rain_schemas():
    try:
        out = subprocess.run(["go", "mod", "download", "-json", RAIN], check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        fail(f"cannot find the registry schemas ({e}); run `go mod download {RAIN}` or pass --schemas DIR")
    return os.path.join(json.loads(out)["Dir"], "internal", "aws", "cfn", "schemas")


def load_schema(schemas, rtype):
    """Return the registry schema of rtype, or None if DIR has none."""
    parts = rtype.lower().split("::")
    for path in (os.path.join(schemas, *parts[:2], parts[2] + ".json"),
                 os.path.join(schemas, "-".join(parts) + ".json")):
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                return json.load(f)
    return None


def normalize(action):
    service, _, name = action.partition(":")
    return service.lower() + ":" + name


def matches(pattern, action):
    p, a = pattern.lower(), action.lower()
    return a.startswith(p[:-1]) if p.endswith("*") else a == p


def sets(props, names):
    return any(n in props for n in names.split("|"))


def needed(templates, schemas):
    """Return ({type: {action}}, [exclusions]) for the templates' types."""
    props = {}  # type -> list of Properties dicts
    for t in templates:
        for r in t.get("Resources", {}).values():
            props.setdefault(r["Type"], []).append(r.get("Properties", {}))
    need, excluded = {}, []
    for rtype in sorted(props):
        schema = load_schema(schemas, rtype)
        handlers = (schema or {}).get("handlers", {})
        actions = {normalize(a) for h in HANDLERS for a in handlers.get(h, {}).get("permissions", [])}
        extra = EXTRA.get(rtype, [])
        if not actions and not extra:
            fail(f"{rtype}: no handler permissions in {schemas} and none in EXTRA")
        keep = set()
        for a in sorted(actions):
            rule = next((e for e in EXCLUDED if e[0] in ("*", rtype) and matches(e[1], a)), None)
            if rule is None:
                keep.add(a)
                continue
            if rule[2] and any(sets(p, rule[2]) for p in props[rtype]):
                keep.add(a)  # the property that needs it is set
                continue
            excluded.append({"type": rtype, "action": a, "reason": rule[3]})
        need[rtype] = keep | {normalize(a) for a in extra}
    return need, excluded


def policy(need):
    by_sid = {s["Sid"]: set() for s in STATEMENTS}
    for rtype in sorted(need):
        for a in sorted(need[rtype], key=str.lower):
            service = a.split(":")[0]
            for s in STATEMENTS:
                if s.get("types") and rtype not in s["types"]:
                    continue
                if "actions" in s:
                    if a.lower() in (x.lower() for x in s["actions"]):
                        break
                    continue
                if service in s.get("services", []):
                    break
            else:
                fail(f"{a} (for {rtype}) fits no statement: add one to STATEMENTS")
            by_sid[s["Sid"]].add(a)
    statements = []
    for s in STATEMENTS:
        actions = sorted(by_sid[s["Sid"]], key=str.lower)
        if not actions:
            continue
        st = {"Sid": s["Sid"], "Effect": "Allow", "Action": actions[0] if len(actions) == 1 else actions,
              "Resource": s["Resource"]}
        if "Condition" in s:
            st["Condition"] = s["Condition"]
        statements.append(st)
    return {"Version": "2012-10-17", "Statement": statements}


def main(argv):
    schemas, explain, files = None, False, []
    args = iter(argv)
    for a in args:
        if a == "--schemas":
            schemas = next(args, None) or fail("--schemas needs a directory")
        elif a == "--exclusions":
            explain = True
        elif a.startswith("-"):
            fail(f"unknown flag {a}\n" + __doc__)
        else:
            files.append(a)
    if not files:
        sys.exit(__doc__)
    templates = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            templates.append(json.load(fh))
    need, excluded = needed(templates, schemas or rain_schemas())
    json.dump(excluded if explain else policy(need), sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
