package cfn_test

import (
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	"github.com/bgc-dev/bgc/compiler/cfn"
)

func TestRenderDecodesIntrinsics(t *testing.T) {
	tpl := cfn.New("test")
	vpc := tpl.Param("VpcId", "AWS::EC2::VPC::Id", "the VPC")
	tpl.Add("Subnet", &ec2.Subnet{
		VpcId:            vpc,
		CidrBlock:        strPtr("10.0.0.0/19"),
		AvailabilityZone: strPtr(cfn.Select(1, cfn.GetAZs(""))),
	})
	tpl.Output("Arn", "", cfn.SubVars("${A}-x", map[string]string{"A": cfn.GetAtt("Subnet", "SubnetId")}))
	y, err := tpl.Render("yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Fn::Select:", "Fn::GetAZs: \"\"", "Ref: VpcId", "Fn::GetAtt:", "AWSTemplateFormatVersion: \"2010-09-09\""} {
		if !strings.Contains(string(y), want) {
			t.Errorf("yaml lacks %q:\n%s", want, y)
		}
	}
	if strings.Contains(string(y), "cfn:") {
		t.Errorf("undecoded marker:\n%s", y)
	}
	j, err := tpl.Render("json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(j), `"Fn::Sub": [`) || !strings.HasSuffix(string(j), "}\n") {
		t.Errorf("json:\n%s", j)
	}
	if _, err := tpl.Render("xml"); err == nil {
		t.Error("unknown format accepted")
	}
}

func strPtr(s string) *string { return &s }

func TestIntrinsicShapes(t *testing.T) {
	tpl := cfn.New("")
	tpl.Conditions["HasCert"] = map[string]any{"Fn::Equals": []any{"a", "b"}}
	tpl.Output("Joined", "", cfn.Join("-", "a", cfn.Ref("AWS::Region")))
	tpl.Output("Chosen", "", cfn.If("HasCert", "x", cfn.Ref("AWS::NoValue")))
	tpl.Output("Second", "", cfn.Select(1, cfn.Split("/", cfn.Ref("Arn"))))
	tree, err := tpl.Tree()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cfn.Marshal(tree["Outputs"], "json")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"Fn::Join": [`, `"Fn::If": [`, `"HasCert"`, `"Ref": "AWS::NoValue"`, `"Fn::Split": [`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("missing %s in\n%s", want, out)
		}
	}
	if _, has := tree["Description"]; has {
		t.Error("empty description rendered")
	}
	if !cfn.IsIntrinsic(cfn.Ref("x")) || cfn.IsIntrinsic("plain") {
		t.Error("IsIntrinsic")
	}
}

func TestPolicyHelpers(t *testing.T) {
	s := cfn.With(cfn.With(cfn.Allow("Sid1", []string{"s3:GetObject"}, []string{"*"}), "ArnEquals", "aws:PrincipalArn", "a", "b"), "Bool", "aws:SecureTransport", "true")
	doc := cfn.PolicyDocument(cfn.Principal(s, "AWS", "root"))
	out, err := cfn.Marshal(doc, "json")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"aws:PrincipalArn": [`, `"aws:SecureTransport": "true"`, `"AWS": "root"`, `"Version": "2012-10-17"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("missing %s in\n%s", want, out)
		}
	}
}
