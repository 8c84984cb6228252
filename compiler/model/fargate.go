package model

// FargateAZIDs are the Availability Zone IDs Fargate supports in the
// regions where it does not run in every zone. In these regions bgc pins
// each subnet to one of these IDs (AvailabilityZoneId): AZ names map to
// IDs differently in every account, so picking zones by position
// (Fn::GetAZs) can land a subnet in a zone where Fargate tasks cannot run.
//
// Source: "Amazon ECS Linux containers on AWS Fargate are supported in the
// following AWS Regions. The supported Availability Zone IDs are noted when
// applicable." (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AWS_Fargate-Regions.html):
// "us-west-1 (usw1-az1 & usw1-az3 only)", "ap-northeast-1 (apne1-az1,
// apne1-az2, & apne1-az4 only)", "cn-north-1 (cnn1-az1 & cnn1-az2 only)".
// Earlier versions of the page also restricted ca-central-1 to cac1-az1
// and cac1-az2; the current page lists it without a restriction, so it is
// not pinned. Re-check the page when a region is added.
var FargateAZIDs = map[string][]string{
	"ap-northeast-1": {"apne1-az1", "apne1-az2", "apne1-az4"},
	"cn-north-1":     {"cnn1-az1", "cnn1-az2"},
	"us-west-1":      {"usw1-az1", "usw1-az3"},
}
