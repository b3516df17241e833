package template_test

import (
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The in-function mode with each Database (docs/database.md). inFunction
// has the default, aurora-serverless.
var (
	dsqlDatabase   = map[string]string{"AppMode": "in-function", "Database": "dsql"}
	auroraDatabase = map[string]string{"AppMode": "in-function", "Database": "aurora-serverless"}
	urlDatabase    = map[string]string{"AppMode": "in-function", "Database": "url",
		"DatabaseUrl": "postgres://app:p%40ss@db.example.com:5432/app?sslmode=require"}
	urlDatabaseInVpc = map[string]string{"AppMode": "in-function", "Database": "url",
		"DatabaseUrl":         "postgres://app:p%40ss@db.internal.example.com:5432/app?sslmode=require",
		"VpcSubnetIds":        "subnet-0123456789abcdef0,subnet-0fedcba9876543210",
		"VpcSecurityGroupIds": "sg-0123456789abcdef0"}
	sqliteDatabase = map[string]string{"AppMode": "in-function", "Database": "sqlite"}
)

// auroraNetwork names the resources of aurora-serverless's VPC.
var auroraNetwork = []string{"DatabaseVpc", "DatabaseSubnetA", "DatabaseSubnetB", "DatabaseRouteTable",
	"DatabaseSubnetARoutes", "DatabaseSubnetBRoutes", "S3DatabaseEndpoint", "SecretsManagerDatabaseEndpoint",
	"AppSecurityGroup", "AppToDatabase", "DatabaseSecurityGroup", "EndpointSecurityGroup"}

// Parts of AppFunctionRole as the tests expect them.
const (
	basicExecutionPolicy = `{"Fn::Sub":"arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}`
	vpcAccessPolicy      = `{"Fn::Sub":"arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"}`
	auroraPasswordSecret = `{"Fn::GetAtt":["AuroraCluster","MasterUserSecret.SecretArn"]}`
)

// readItsSecrets returns AppFunctionRole's secrets policy as JSON: the
// stack's three secrets and the database's, if any (JSON, comma first), and
// ListSecretVersionIds on the two hostforward re-reads (internal/secretcache).
func readItsSecrets(database string) string {
	return `{"PolicyName":"ReadItsSecrets","PolicyDocument":{"Version":"2012-10-17","Statement":[{"Sid":"ReadItsSecrets",
		"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":[{"Ref":"OriginVerifySecret"},
		{"Ref":"UpstreamVerifySecret"},{"Ref":"DjangoSecretKey"}` + database + `]},
		{"Sid":"ListItsSecretVersions","Effect":"Allow","Action":"secretsmanager:ListSecretVersionIds",
		"Resource":[{"Ref":"OriginVerifySecret"},{"Ref":"UpstreamVerifySecret"}]}]}}`
}

// databaseChoices is every Database, with what it alone creates and what
// it gives AppFunction: its DATABASE_* variables, its role's policies and
// its network.
var databaseChoices = []struct {
	name     string
	params   map[string]string
	own      []string // resources no other choice has
	env      string   // JSON: AppFunction's DATABASE_* variables
	managed  string   // JSON: AppFunctionRole's ManagedPolicyArns
	policies string   // JSON: AppFunctionRole's inline Policies
	vpc      string   // JSON: AppFunction's VpcConfig, "" for none
}{
	{
		name:    "dsql",
		params:  dsqlDatabase,
		own:     []string{"DsqlCluster"},
		env:     `{"DATABASE_URL":{"Fn::Sub":"dsql://admin@${DsqlCluster.Endpoint}/postgres?region=${AWS::Region}"}}`,
		managed: `[` + basicExecutionPolicy + `,{"Ref":"MediaUploadPolicy"}]`,
		policies: `[` + readItsSecrets("") + `,{"PolicyName":"ConnectToItsDatabase","PolicyDocument":{"Version":"2012-10-17",
			"Statement":[{"Sid":"ConnectToItsDatabase","Effect":"Allow","Action":"dsql:DbConnectAdmin",
			"Resource":{"Fn::GetAtt":["DsqlCluster","ResourceArn"]}}]}}]`,
	},
	{
		name:   "aurora-serverless",
		params: auroraDatabase,
		own:    append([]string{"AuroraCluster", "AuroraInstance", "DatabaseSubnetGroup"}, auroraNetwork...),
		env: `{"DATABASE_URL":{"Fn::Sub":"postgres://djfront@${AuroraCluster.Endpoint.Address}:${AuroraCluster.Endpoint.Port}/djfront?sslmode=require&connect_timeout=20&conn_max_age=0"},
			"DATABASE_PASSWORD_SECRET_ARN":` + auroraPasswordSecret + `}`,
		managed:  `[` + basicExecutionPolicy + `,` + vpcAccessPolicy + `,{"Ref":"MediaUploadPolicy"}]`,
		policies: `[` + readItsSecrets(`,`+auroraPasswordSecret) + `]`,
		vpc:      `{"SubnetIds":[{"Ref":"DatabaseSubnetA"},{"Ref":"DatabaseSubnetB"}],"SecurityGroupIds":[{"Ref":"AppSecurityGroup"}]}`,
	},
	{
		name:     "url",
		params:   urlDatabase,
		own:      []string{"DatabaseUrlSecret"},
		env:      `{"DATABASE_URL":"","DATABASE_URL_SECRET_ARN":{"Ref":"DatabaseUrlSecret"}}`,
		managed:  `[` + basicExecutionPolicy + `,{"Ref":"MediaUploadPolicy"}]`,
		policies: `[` + readItsSecrets(`,{"Ref":"DatabaseUrlSecret"}`) + `]`,
	},
	{
		name:     "url, in your VPC",
		params:   urlDatabaseInVpc,
		own:      []string{"DatabaseUrlSecret"},
		env:      `{"DATABASE_URL":"","DATABASE_URL_SECRET_ARN":{"Ref":"DatabaseUrlSecret"}}`,
		managed:  `[` + basicExecutionPolicy + `,` + vpcAccessPolicy + `,{"Ref":"MediaUploadPolicy"}]`,
		policies: `[` + readItsSecrets(`,{"Ref":"DatabaseUrlSecret"}`) + `]`,
		vpc: `{"SubnetIds":{"Fn::Split":[",","subnet-0123456789abcdef0,subnet-0fedcba9876543210"]},
			"SecurityGroupIds":{"Fn::Split":[",","sg-0123456789abcdef0"]}}`,
	},
	{
		name:     "sqlite",
		params:   sqliteDatabase,
		env:      `{"DATABASE_URL":"sqlite:////tmp/db.sqlite3"}`,
		managed:  `[` + basicExecutionPolicy + `,{"Ref":"MediaUploadPolicy"}]`,
		policies: `[` + readItsSecrets("") + `]`,
	},
}

// TestDatabaseChoices deploys the in-function mode with each Database and
// checks what the choice changes, exactly: the resources only it creates,
// AppFunction's DATABASE_* variables, its VPC, and its role, which reaches
// that database and nothing else (dsql: connect to the stack's cluster;
// aurora-serverless: its password secret and network interfaces; url: the
// URL's secret; sqlite: nothing).
func TestDatabaseChoices(t *testing.T) {
	sqlite := deploy(t, translate(t, sqliteDatabase), sqliteDatabase)["Resources"].(map[string]any)
	var all []string
	for _, c := range databaseChoices {
		all = append(all, c.own...)
	}
	for _, name := range all {
		if _, ok := sqlite[name]; ok {
			t.Errorf("sqlite has %s, which belongs to another Database", name)
		}
	}

	for _, c := range databaseChoices {
		t.Run(c.name, func(t *testing.T) {
			res := deploy(t, translate(t, c.params), c.params)["Resources"].(map[string]any)
			var extra, missing []string
			for name := range res {
				if _, ok := sqlite[name]; !ok {
					extra = append(extra, name)
				}
			}
			for name := range sqlite {
				if _, ok := res[name]; !ok {
					missing = append(missing, name)
				}
			}
			slices.Sort(extra)
			if want := slices.Sorted(slices.Values(c.own)); !slices.Equal(extra, want) {
				t.Errorf("resources beyond sqlite's: got %q, want %q", extra, want)
			}
			if len(missing) > 0 {
				t.Errorf("resources of sqlite missing: %q", missing)
			}

			vars := at(t, res, "AppFunction.Properties.Environment.Variables").(map[string]any)
			database := map[string]any{}
			for k, v := range vars {
				if strings.HasPrefix(k, "DATABASE_") {
					database[k] = v
				}
			}
			checkJSON(t, database, c.env)
			checkJSON(t, at(t, res, "AppFunction.Properties.Role"), `{"Fn::GetAtt":["AppFunctionRole","Arn"]}`)
			checkJSON(t, at(t, res, "AppFunctionRole.Properties.ManagedPolicyArns"), c.managed)
			checkJSON(t, at(t, res, "AppFunctionRole.Properties.Policies"), c.policies)
			if c.vpc == "" {
				if has(res, "AppFunction.Properties.VpcConfig") {
					t.Errorf("got VpcConfig %s, want none", mustJSON(t, at(t, res, "AppFunction.Properties.VpcConfig")))
				}
			} else {
				checkJSON(t, at(t, res, "AppFunction.Properties.VpcConfig"), c.vpc)
			}
		})
	}

	t.Run("the default is aurora-serverless", func(t *testing.T) {
		checkJSON(t, at(t, translate(t, inFunction), "Parameters.Database.Default"), `"aurora-serverless"`)
	})
}

// TestDsql checks the DSQL cluster and how the app reaches it: the URL's
// user is the admin role, which is what dsql:DbConnectAdmin (and not
// dsql:DbConnect) lets the function sign a token for; the data outlives
// the stack.
func TestDsql(t *testing.T) {
	res := deploy(t, translate(t, dsqlDatabase), dsqlDatabase)["Resources"]
	checkJSON(t, at(t, res, "DsqlCluster.Properties"),
		`{"DeletionProtectionEnabled":true,"Tags":[{"Key":"Name","Value":{"Ref":"AWS::StackName"}}]}`)
	for _, policy := range []string{"DeletionPolicy", "UpdateReplacePolicy"} {
		checkJSON(t, at(t, res, "DsqlCluster."+policy), `"Retain"`)
	}

	sub, _ := at(t, res, "AppFunction.Properties.Environment.Variables.DATABASE_URL.Fn::Sub").(string)
	u := parseSubURL(t, sub)
	action := at(t, res, "AppFunctionRole.Properties.Policies[PolicyName=ConnectToItsDatabase].PolicyDocument.Statement[Sid=ConnectToItsDatabase].Action")
	if got := u.User.Username(); got != "admin" || action != "dsql:DbConnectAdmin" {
		t.Errorf("the URL connects as %q with %v, want admin with dsql:DbConnectAdmin", got, action)
	}
	if _, ok := u.User.Password(); ok {
		t.Error("the URL has a password; DSQL takes an IAM token the app signs")
	}
}

// TestAuroraServerless checks aurora-serverless's database: it scales to
// zero and pauses, RDS keeps its password, and it survives the stack as a
// final snapshot.
func TestAuroraServerless(t *testing.T) {
	tpl := deploy(t, translate(t, auroraDatabase), auroraDatabase)
	res := tpl["Resources"]
	checkJSON(t, at(t, res, "AuroraCluster.Properties"), `{"Engine":"aurora-postgresql","EngineVersion":"16.9",
		"DatabaseName":"djfront","MasterUsername":"djfront","ManageMasterUserPassword":true,"Port":5432,
		"ServerlessV2ScalingConfiguration":{"MinCapacity":0,"MaxCapacity":"2","SecondsUntilAutoPause":"300"},
		"DBSubnetGroupName":{"Ref":"DatabaseSubnetGroup"},"VpcSecurityGroupIds":[{"Ref":"DatabaseSecurityGroup"}],
		"StorageEncrypted":true,"BackupRetentionPeriod":7,"CopyTagsToSnapshot":true,"DeletionProtection":false}`)
	checkJSON(t, at(t, res, "AuroraInstance.Properties"), `{"DBClusterIdentifier":{"Ref":"AuroraCluster"},
		"DBInstanceClass":"db.serverless","Engine":"aurora-postgresql",
		"AvailabilityZone":{"Fn::Select":[0,{"Fn::GetAZs":""}]},"PubliclyAccessible":false}`)
	checkJSON(t, at(t, res, "DatabaseSubnetGroup.Properties.SubnetIds"), `[{"Ref":"DatabaseSubnetA"},{"Ref":"DatabaseSubnetB"}]`)
	for _, tt := range []struct{ resource, want string }{
		{"AuroraCluster", "Snapshot"}, {"AuroraInstance", "Delete"},
	} {
		for _, policy := range []string{"DeletionPolicy", "UpdateReplacePolicy"} {
			checkJSON(t, at(t, res, tt.resource+"."+policy), `"`+tt.want+`"`)
		}
	}
	params := tpl["Parameters"]
	checkJSON(t, at(t, params, "AuroraSecondsUntilAutoPause"), `{"Type":"Number","Default":300,"MinValue":300,"MaxValue":86400,
		"Description":"Database aurora-serverless only: seconds without a connection before the database pauses (no compute billed). The next connection waits for it to resume, about 15 s (docs/database.md)."}`)
	for _, p := range []string{"Default", "MinValue", "MaxValue"} {
		if number(t, at(t, params, "AuroraMaxCapacity."+p)) < 1 {
			t.Errorf("AuroraMaxCapacity %s below 1 ACU", p)
		}
	}
}

// auroraResumeSeconds is how long a paused Aurora Serverless v2 instance
// takes to resume, as AWS states it ("approximately 15 seconds";
// aurora-serverless-v2-auto-pause in the Aurora user guide). Connections
// wait for it.
const auroraResumeSeconds = 15

// TestAuroraResume checks that the first request after a pause can wait
// for the database: the app's connect timeout (in DATABASE_URL) is above
// the resume time and below hostforward's UPSTREAM_TIMEOUT, which is below
// API Gateway's fixed 30 s and the function's timeout; and the URL keeps no
// connection open between requests, which would keep the database from
// pausing.
func TestAuroraResume(t *testing.T) {
	fn := at(t, deploy(t, translate(t, auroraDatabase), auroraDatabase), "Resources.AppFunction.Properties")
	sub, _ := at(t, fn, "Environment.Variables.DATABASE_URL.Fn::Sub").(string)
	q := parseSubURL(t, sub).Query()
	connect, err := strconv.Atoi(q.Get("connect_timeout"))
	if err != nil {
		t.Fatalf("DATABASE_URL %s: connect_timeout: %v", sub, err)
	}
	upstream, err := time.ParseDuration(at(t, fn, "Environment.Variables.UPSTREAM_TIMEOUT").(string))
	if err != nil {
		t.Fatal(err)
	}
	const apiGateway = 30 * time.Second
	resume, connectTimeout := auroraResumeSeconds*time.Second, time.Duration(connect)*time.Second
	if !(resume < connectTimeout && connectTimeout < upstream && upstream < apiGateway) {
		t.Errorf("want resume %v < connect_timeout %v < UPSTREAM_TIMEOUT %v < API Gateway's %v", resume, connectTimeout, upstream, apiGateway)
	}
	if timeout := time.Duration(number(t, at(t, fn, "Timeout"))) * time.Second; timeout < apiGateway {
		t.Errorf("function timeout %v below API Gateway's %v", timeout, apiGateway)
	}
	// djfront.settings keeps a connection 60 s unless the URL says
	// otherwise; a frozen environment's would keep the database awake.
	if q.Get("conn_max_age") != "0" {
		t.Errorf("DATABASE_URL %s: want conn_max_age=0 (djfront keeps connections by default; a frozen environment's would keep the database awake)", sub)
	}
	if q.Get("sslmode") != "require" {
		t.Errorf("DATABASE_URL %s: want sslmode=require", sub)
	}
}

// subVariable matches ${Name}, ${Name.Attribute} and ${AWS::Region} in a
// Fn::Sub string.
var subVariable = regexp.MustCompile(`\$\{[A-Za-z0-9:.]+\}`)

// parseSubURL parses a URL written as a Fn::Sub string, each variable
// replaced by 0 (it may stand for a host or a port).
func parseSubURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(subVariable.ReplaceAllString(s, "0"))
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return u
}

// TestDatabaseNetwork checks aurora-serverless's network: two private
// subnets whose only routes are the VPC's own and the S3 gateway
// endpoint's, no internet or NAT gateway anywhere in the template (for any
// parameters: the translation keeps every resource, whatever its
// condition), PostgreSQL admitted from the function's security group only,
// and endpoints that reach only the stack's bucket and the function's
// secrets.
func TestDatabaseNetwork(t *testing.T) {
	all := translate(t, auroraDatabase)["Resources"].(map[string]any)
	t.Run("no way out of the VPC", func(t *testing.T) {
		for name, r := range all {
			switch typ := r.(map[string]any)["Type"]; typ {
			case "AWS::EC2::NatGateway", "AWS::EC2::InternetGateway", "AWS::EC2::EgressOnlyInternetGateway",
				"AWS::EC2::VPCGatewayAttachment", "AWS::EC2::Route", "AWS::EC2::TransitGatewayAttachment",
				"AWS::EC2::VPCPeeringConnection", "AWS::EC2::EIP", "AWS::EC2::Instance":
				t.Errorf("%s is an %s", name, typ)
			}
		}
	})

	res := deploy(t, translate(t, auroraDatabase), auroraDatabase)["Resources"].(map[string]any)
	t.Run("the function's subnets route only inside the VPC and to S3", func(t *testing.T) {
		subnets := at(t, res, "AppFunction.Properties.VpcConfig.SubnetIds").([]any)
		for _, s := range subnets {
			subnet := s.(map[string]any)["Ref"].(string)
			checkJSON(t, at(t, res, subnet+".Properties.MapPublicIpOnLaunch"), `false`)
			checkJSON(t, at(t, res, subnet+".Properties.VpcId"), `{"Ref":"DatabaseVpc"}`)
			var tables []string
			for name, r := range res {
				if r.(map[string]any)["Type"] != "AWS::EC2::SubnetRouteTableAssociation" {
					continue
				}
				if id, _ := lookup(r, "Properties.SubnetId.Ref"); id == subnet {
					table, _ := lookup(r, "Properties.RouteTableId.Ref")
					tables = append(tables, name+"→"+table.(string))
				}
			}
			if len(tables) != 1 || !strings.HasSuffix(tables[0], "→DatabaseRouteTable") {
				t.Errorf("%s: route tables %q, want DatabaseRouteTable alone", subnet, tables)
			}
		}
		var routes []string
		for name, r := range res {
			ids, _ := lookup(r, "Properties.RouteTableIds")
			list, _ := ids.([]any)
			for _, id := range list {
				if id.(map[string]any)["Ref"] == "DatabaseRouteTable" {
					routes = append(routes, name)
				}
			}
		}
		if !slices.Equal(routes, []string{"S3DatabaseEndpoint"}) {
			t.Errorf("DatabaseRouteTable gets routes from %q, want the S3 gateway endpoint's alone", routes)
		}
		checkJSON(t, at(t, res, "DatabaseVpc.Properties"), `{"CidrBlock":"10.0.0.0/16","EnableDnsSupport":true,"EnableDnsHostnames":true}`)
	})

	t.Run("PostgreSQL from the function only", func(t *testing.T) {
		checkJSON(t, at(t, res, "DatabaseSecurityGroup.Properties.SecurityGroupIngress"), `[{"Description":"PostgreSQL from the app function",
			"IpProtocol":"tcp","FromPort":5432,"ToPort":5432,"SourceSecurityGroupId":{"Ref":"AppSecurityGroup"}}]`)
		checkJSON(t, at(t, res, "EndpointSecurityGroup.Properties.SecurityGroupIngress"), `[{"Description":"HTTPS from the app function",
			"IpProtocol":"tcp","FromPort":443,"ToPort":443,"SourceSecurityGroupId":{"Ref":"AppSecurityGroup"}}]`)
		for _, sg := range []string{"DatabaseSecurityGroup", "EndpointSecurityGroup"} {
			checkJSON(t, at(t, res, sg+".Properties.SecurityGroupEgress"), `[{"Description":"nothing","IpProtocol":"icmp",
				"FromPort":-1,"ToPort":-1,"CidrIp":"127.0.0.1/32"}]`)
		}
		if has(res, "AppSecurityGroup.Properties.SecurityGroupIngress") {
			t.Error("the function's security group admits connections")
		}
		checkJSON(t, at(t, res, "AppSecurityGroup.Properties.SecurityGroupEgress"), `[{"Description":"Secrets Manager and S3 endpoints",
			"IpProtocol":"tcp","FromPort":443,"ToPort":443,"CidrIp":"0.0.0.0/0"}]`)
		checkJSON(t, at(t, res, "AppToDatabase.Properties"), `{"Description":"PostgreSQL","GroupId":{"Ref":"AppSecurityGroup"},
			"IpProtocol":"tcp","FromPort":5432,"ToPort":5432,"DestinationSecurityGroupId":{"Ref":"DatabaseSecurityGroup"}}`)
		for name, r := range res {
			switch r.(map[string]any)["Type"] {
			case "AWS::EC2::SecurityGroupIngress":
				t.Errorf("%s opens a security group", name)
			case "AWS::EC2::SecurityGroupEgress":
				if name != "AppToDatabase" {
					t.Errorf("%s: an egress rule besides AppToDatabase", name)
				}
			}
		}
	})

	t.Run("S3: the assets bucket only", func(t *testing.T) {
		checkJSON(t, at(t, res, "S3DatabaseEndpoint.Properties"), `{"VpcId":{"Ref":"DatabaseVpc"},
			"ServiceName":{"Fn::Sub":"com.amazonaws.${AWS::Region}.s3"},"VpcEndpointType":"Gateway",
			"RouteTableIds":[{"Ref":"DatabaseRouteTable"}],"PolicyDocument":{"Version":"2012-10-17","Statement":[
			{"Sid":"OnlyTheAssetsBucket","Effect":"Allow","Principal":"*",
			 "Action":["s3:ListBucket","s3:GetObject","s3:PutObject","s3:DeleteObject"],
			 "Resource":[{"Fn::GetAtt":["AssetsBucket","Arn"]},{"Fn::Sub":"${AssetsBucket.Arn}/*"}]}]}}`)
	})

	t.Run("Secrets Manager: one zone, private DNS, the function's secrets only", func(t *testing.T) {
		ep := at(t, res, "SecretsManagerDatabaseEndpoint.Properties")
		checkJSON(t, at(t, ep, "ServiceName"), `{"Fn::Sub":"com.amazonaws.${AWS::Region}.secretsmanager"}`)
		checkJSON(t, at(t, ep, "VpcEndpointType"), `"Interface"`)
		checkJSON(t, at(t, ep, "PrivateDnsEnabled"), `true`)
		checkJSON(t, at(t, ep, "SubnetIds"), `[{"Ref":"DatabaseSubnetA"}]`)
		checkJSON(t, at(t, ep, "SecurityGroupIds"), `[{"Ref":"EndpointSecurityGroup"}]`)
		// The instance sits in the endpoint's zone: one zone's outage is one outage.
		checkJSON(t, at(t, res, "AuroraInstance.Properties.AvailabilityZone"), mustJSON(t, at(t, res, "DatabaseSubnetA.Properties.AvailabilityZone")))
		st := at(t, ep, "PolicyDocument.Statement[Sid=OnlyItsSecrets]")
		checkJSON(t, at(t, st, "Action"), `"secretsmanager:GetSecretValue"`)
		checkJSON(t, at(t, st, "Principal"), `"*"`)
		got := refs(t, at(t, st, "Resource"))
		if want := secretsReadable(t, res, res["AppFunction"]); !slices.Equal(got, want) {
			t.Errorf("the endpoint admits %q, want exactly the secrets the function reads, %q", got, want)
		}
		// Without it a re-read of the origin secret fails at the endpoint,
		// and a rotated value is refused once the previous one is gone.
		st = at(t, ep, "PolicyDocument.Statement[Sid=OnlyItsSecretVersions]")
		checkJSON(t, at(t, st, "Action"), `"secretsmanager:ListSecretVersionIds"`)
		checkJSON(t, at(t, st, "Principal"), `"*"`)
		if got, want := refs(t, at(t, st, "Resource")), secretsAllowed(t, res, res["AppFunction"], "secretsmanager:ListSecretVersionIds"); !slices.Equal(got, want) {
			t.Errorf("the endpoint admits listing %q, want exactly the secrets the function lists, %q", got, want)
		}
		if n := len(at(t, ep, "PolicyDocument.Statement").([]any)); n != 2 {
			t.Errorf("the endpoint policy has %d statements, want 2", n)
		}
	})
}

// TestDatabaseRules checks the rules that keep the Database parameters
// consistent: url needs a URL and only url takes one, and in-function the
// VPC parameters are for url's database (aurora-serverless makes its own).
func TestDatabaseRules(t *testing.T) {
	const (
		needsURL  = "Database url needs a DatabaseUrl (postgres://USER:PASSWORD@HOST:5432/NAME?sslmode=require)."
		urlOnly   = "DatabaseUrl is only used with AppMode in-function and Database url."
		vpcForURL = "In-function, VpcSubnetIds and VpcSecurityGroupIds are for Database url (your database in your VPC); " +
			"aurora-serverless creates its own VPC, dsql and sqlite need none."
	)
	with := func(base map[string]string, kv ...string) map[string]string {
		out := maps.Clone(base)
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	vpc := []string{"VpcSubnetIds", urlDatabaseInVpc["VpcSubnetIds"], "VpcSecurityGroupIds", urlDatabaseInVpc["VpcSecurityGroupIds"]}
	tpl := translate(t, noDomain)
	for _, tt := range []struct {
		name   string
		params map[string]string
		want   []string
	}{
		{"dsql", dsqlDatabase, nil},
		{"aurora-serverless", auroraDatabase, nil},
		{"url", urlDatabase, nil},
		{"url in your VPC", urlDatabaseInVpc, nil},
		{"sqlite", sqliteDatabase, nil},
		{"url without a URL", with(urlDatabase, "DatabaseUrl", ""), []string{needsURL}},
		{"a URL with dsql", with(dsqlDatabase, "DatabaseUrl", urlDatabase["DatabaseUrl"]), []string{urlOnly}},
		{"a URL with the app elsewhere", with(noDomain, "DatabaseUrl", urlDatabase["DatabaseUrl"]), []string{urlOnly}},
		{"aurora-serverless in your VPC", with(auroraDatabase, vpc...), []string{vpcForURL}},
		{"dsql in your VPC", with(dsqlDatabase, vpc...), []string{vpcForURL}},
		{"the app elsewhere, in your VPC, Database ignored", with(inVpc, "Database", "aurora-serverless"), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := newEvaluator(t, tpl, tt.params).violatedRules(); !slices.Equal(got, tt.want) {
				t.Errorf("got violated rules %q, want %q", got, tt.want)
			}
		})
	}
}

// TestDatabaseDeletionPolicies checks what deleting the stack does to each
// database: DSQL's cluster is kept (deletion protection on), Aurora's
// leaves a final snapshot, the URL's secret goes (the database is yours).
func TestDatabaseDeletionPolicies(t *testing.T) {
	for _, tt := range []struct {
		params         map[string]string
		resource, want string
	}{
		{dsqlDatabase, "DsqlCluster", "Retain"},
		{auroraDatabase, "AuroraCluster", "Snapshot"},
		{urlDatabase, "DatabaseUrlSecret", "Delete"},
	} {
		t.Run(tt.resource, func(t *testing.T) {
			res := translate(t, tt.params)["Resources"]
			for _, policy := range []string{"DeletionPolicy", "UpdateReplacePolicy"} {
				if got := at(t, res, tt.resource+"."+policy); got != tt.want {
					t.Errorf("%s: got %v, want %s", policy, got, tt.want)
				}
			}
		})
	}
	t.Run("the URL stored from the NoEcho parameter", func(t *testing.T) {
		tpl := deploy(t, translate(t, urlDatabase), urlDatabase)
		checkJSON(t, at(t, tpl, "Parameters.DatabaseUrl.NoEcho"), `true`)
		checkJSON(t, at(t, tpl, "Resources.DatabaseUrlSecret.Properties.SecretString"), `"`+urlDatabase["DatabaseUrl"]+`"`)
	})
}
