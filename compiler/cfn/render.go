package cfn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Tree returns the template as a generic value tree (maps, slices, strings,
// int64, float64, bool) with every intrinsic decoded.
func (t *Template) Tree() (map[string]any, error) {
	top := map[string]any{
		"AWSTemplateFormatVersion": "2010-09-09",
		"Resources":                t.Resources,
	}
	if t.Description != "" {
		top["Description"] = t.Description
	}
	if len(t.Metadata) > 0 {
		top["Metadata"] = t.Metadata
	}
	if len(t.Parameters) > 0 {
		top["Parameters"] = t.Parameters
	}
	if len(t.Conditions) > 0 {
		top["Conditions"] = t.Conditions
	}
	if len(t.Outputs) > 0 {
		top["Outputs"] = t.Outputs
	}
	raw, err := json.Marshal(top)
	if err != nil {
		return nil, err
	}
	generic, err := decode(raw)
	if err != nil {
		return nil, err
	}
	out, err := resolve(generic)
	if err != nil {
		return nil, err
	}
	return out.(map[string]any), nil
}

// Format is how templates and other documents are rendered.
type Format string

// The formats bgc renders.
const (
	YAML Format = "yaml"
	JSON Format = "json"
)

// ParseFormat accepts "yaml" or "json"; "" means YAML.
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case "", YAML:
		return YAML, nil
	case JSON:
		return JSON, nil
	}
	return "", fmt.Errorf("unknown output format %q (want yaml or json)", s)
}

// Render returns the template as YAML or JSON, deterministic and
// newline-terminated.
func (t *Template) Render(format Format) ([]byte, error) {
	tree, err := t.Tree()
	if err != nil {
		return nil, err
	}
	return Marshal(tree, format)
}

// Marshal renders a generic tree (or Ordered mappings) as YAML or JSON with
// sorted map keys and a final newline.
func Marshal(tree any, format Format) ([]byte, error) {
	var buf bytes.Buffer
	switch format {
	case JSON:
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(tree); err != nil {
			return nil, err
		}
	case YAML, "":
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(tree); err != nil {
			return nil, err
		}
		if err := enc.Close(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown output format %q (want yaml or json)", format)
	}
	return buf.Bytes(), nil
}

func decode(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// resolve decodes intrinsic markers and turns json.Number into int64 or
// float64 so the YAML encoder writes plain numbers.
func resolve(v any) (any, error) {
	switch x := v.(type) {
	case string:
		if !strings.HasPrefix(x, marker) {
			return x, nil
		}
		inner, err := decode([]byte(x[len(marker):]))
		if err != nil {
			return nil, fmt.Errorf("corrupt intrinsic %q: %w", x[len(marker):], err)
		}
		return resolve(inner)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		return x.Float64()
	case map[string]any:
		for k, e := range x {
			r, err := resolve(e)
			if err != nil {
				return nil, err
			}
			x[k] = r
		}
		return x, nil
	case []any:
		for i, e := range x {
			r, err := resolve(e)
			if err != nil {
				return nil, err
			}
			x[i] = r
		}
		return x, nil
	}
	return v, nil
}

// CompactJSON renders v as compact JSON without HTML escaping: for JSON
// documents that CloudFormation takes as strings (an ECR lifecycle policy)
// and for measuring documents against AWS size limits.
func CompactJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
