package deploy

import (
	"encoding/json"
	"maps"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// sameTemplate says CloudFormation holds the template bgc would send: the
// same bytes (GetTemplate's Original stage returns the template as it was
// submitted), or the same JSON document. Anything else counts as changed,
// and CloudFormation decides whether it is.
func sameTemplate(have, want string) bool {
	if have == want {
		return true
	}
	var x, y any
	if json.Unmarshal([]byte(have), &x) != nil || json.Unmarshal([]byte(want), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func sameParameters(have []types.Parameter, want []types.Parameter) bool {
	return maps.Equal(paramMap(have), paramMap(want))
}

func paramMap(ps []types.Parameter) map[string]string {
	m := make(map[string]string, len(ps))
	for _, p := range ps {
		m[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	return m
}

func sameTags(have, want []types.Tag) bool {
	tm := func(ts []types.Tag) map[string]string {
		m := make(map[string]string, len(ts))
		for _, t := range ts {
			m[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		return m
	}
	return maps.Equal(tm(have), tm(want))
}
