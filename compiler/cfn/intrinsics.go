package cfn

import (
	"encoding/json"
	"strings"
)

// marker prefixes an encoded intrinsic. The NUL byte cannot appear in any
// CloudFormation value bgc emits, so a literal never decodes by accident.
const marker = "\x00cfn:"

// encode turns an intrinsic's generic form into a marker string.
func encode(v map[string]any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only strings, slices and maps of them reach this point.
		panic("cfn: cannot encode intrinsic: " + err.Error())
	}
	return marker + string(b)
}

// IsIntrinsic reports whether s is an encoded intrinsic.
func IsIntrinsic(s string) bool { return strings.HasPrefix(s, marker) }

// Ref is {"Ref": name}: a parameter, a resource or a pseudo parameter.
func Ref(name string) string { return encode(map[string]any{"Ref": name}) }

// GetAtt is {"Fn::GetAtt": [resource, attribute]}.
func GetAtt(resource, attribute string) string {
	return encode(map[string]any{"Fn::GetAtt": []string{resource, attribute}})
}

// Sub is {"Fn::Sub": s}. s must contain at least one ${...} variable (cfn-lint W1020).
func Sub(s string) string { return encode(map[string]any{"Fn::Sub": s}) }

// SubVars is {"Fn::Sub": [s, vars]}; values may themselves be intrinsics.
func SubVars(s string, vars map[string]string) string {
	return encode(map[string]any{"Fn::Sub": []any{s, vars}})
}

// Select is {"Fn::Select": [index, list]} where list is an encoded intrinsic
// that yields a list (GetAZs, Split).
func Select(index int, list string) string {
	return encode(map[string]any{"Fn::Select": []any{index, list}})
}

// GetAZs is {"Fn::GetAZs": region}; "" means the stack's region.
func GetAZs(region string) string { return encode(map[string]any{"Fn::GetAZs": region}) }

// Split is {"Fn::Split": [sep, s]}.
func Split(sep, s string) string { return encode(map[string]any{"Fn::Split": []string{sep, s}}) }

// Join is {"Fn::Join": [sep, parts]}.
func Join(sep string, parts ...string) string {
	return encode(map[string]any{"Fn::Join": []any{sep, parts}})
}

// If is {"Fn::If": [condition, a, b]}.
func If(condition, a, b string) string {
	return encode(map[string]any{"Fn::If": []string{condition, a, b}})
}

// Partition is the ARN prefix "arn:${AWS::Partition}" for use inside Sub strings.
const Partition = "arn:${AWS::Partition}"
