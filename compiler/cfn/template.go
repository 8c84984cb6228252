package cfn

// Resource is any goformation resource struct (or a local one with the
// same shape: a MarshalJSON producing Type/Properties/...).
type Resource interface {
	AWSCloudFormationType() string
}

// Parameter is one template parameter.
type Parameter struct {
	Type           string   `json:"Type"`
	Description    string   `json:"Description,omitempty"`
	AllowedPattern string   `json:"AllowedPattern,omitempty"`
	AllowedValues  []string `json:"AllowedValues,omitempty"`
	Default        string   `json:"Default,omitempty"`
}

// Output is one template output. Value may be an encoded intrinsic.
type Output struct {
	Description string `json:"Description,omitempty"`
	Value       string `json:"Value"`
}

// Template is one CloudFormation template. Map iteration never matters:
// rendering sorts every key.
type Template struct {
	Description string
	Metadata    map[string]any
	Parameters  map[string]Parameter
	Conditions  map[string]any
	Resources   map[string]Resource
	Outputs     map[string]Output
}

// New returns an empty template with the given description.
func New(description string) *Template {
	return &Template{
		Description: description,
		Parameters:  map[string]Parameter{},
		Conditions:  map[string]any{},
		Resources:   map[string]Resource{},
		Outputs:     map[string]Output{},
	}
}

// Add stores a resource under a logical id; a duplicate id is a programming
// error and panics so it cannot slip into output.
func (t *Template) Add(id string, r Resource) {
	if _, dup := t.Resources[id]; dup {
		panic("cfn: duplicate logical id " + id)
	}
	t.Resources[id] = r
}

// Param declares a String-like parameter and returns a Ref to it.
func (t *Template) Param(name, typ, description string) string {
	t.Parameters[name] = Parameter{Type: typ, Description: description}
	return Ref(name)
}

// Choice declares a parameter that takes one of values, defaulting to the
// first, and returns a Ref to it.
func (t *Template) Choice(name, description string, values ...string) string {
	t.Parameters[name] = Parameter{Type: "String", Description: description, AllowedValues: values, Default: values[0]}
	return Ref(name)
}

// Output declares an output.
func (t *Template) Output(name, description, value string) {
	t.Outputs[name] = Output{Description: description, Value: value}
}
