package cfn

import (
	"bytes"
	"encoding/json"

	"go.yaml.in/yaml/v3"
)

// Ordered is a mapping rendered in the order given, for documents whose
// readers or conventions fix the key order (an AppSpec starts with
// version). Values are anything Marshal takes, including Ordered, []any
// and Verbatim.
type Ordered []Field

// Field is one key of an Ordered mapping.
type Field struct {
	Key   string
	Value any
}

// Verbatim is a scalar written exactly as given, with a YAML tag, e.g.
// {"!!float", "0.0"} for AppSpec's `version: 0.0`, which a float would
// render as 0. In JSON it is a number when the tag says so.
type Verbatim struct{ Tag, Text string }

// MarshalYAML renders the fields in order.
func (o Ordered) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for _, f := range o {
		var v yaml.Node
		if err := v.Encode(f.Value); err != nil {
			return nil, err
		}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: f.Key}, &v)
	}
	return n, nil
}

// MarshalJSON renders the fields in order.
func (o Ordered) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		for j, x := range []any{f.Key, f.Value} {
			if j == 1 {
				b.WriteByte(':')
			}
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(x); err != nil {
				return nil, err
			}
			b.Truncate(b.Len() - 1) // the encoder's newline
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// MarshalYAML writes the text with its tag.
func (v Verbatim) MarshalYAML() (any, error) {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: v.Tag, Value: v.Text}, nil
}

// MarshalJSON writes numbers bare and everything else as a string.
func (v Verbatim) MarshalJSON() ([]byte, error) {
	if v.Tag == "!!float" || v.Tag == "!!int" {
		return []byte(v.Text), nil
	}
	return json.Marshal(v.Text)
}
