package cfn

// Policy documents are plain maps: IAM's grammar (string-or-list fields,
// free-form conditions) fits no fixed struct better than the JSON itself.

// Statement is one IAM policy statement.
type Statement = map[string]any

// PolicyDocument wraps statements in a 2012-10-17 document.
func PolicyDocument(statements ...Statement) map[string]any {
	list := make([]any, len(statements))
	for i, s := range statements {
		list[i] = s
	}
	return map[string]any{"Version": "2012-10-17", "Statement": list}
}

// Allow is an Allow statement with a Sid, actions and resources.
func Allow(sid string, actions, resources []string) Statement {
	return Statement{"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
}

// With returns s with a Condition added ({operator: {key: values}}); several
// calls merge.
func With(s Statement, operator, key string, values ...string) Statement {
	cond, _ := s["Condition"].(map[string]any)
	if cond == nil {
		cond = map[string]any{}
		s["Condition"] = cond
	}
	op, _ := cond[operator].(map[string]any)
	if op == nil {
		op = map[string]any{}
		cond[operator] = op
	}
	if len(values) == 1 {
		op[key] = values[0]
	} else {
		op[key] = values
	}
	return s
}

// Principal returns s with a Principal of the given kind ("AWS", "Service").
func Principal(s Statement, kind string, values ...string) Statement {
	if len(values) == 1 {
		s["Principal"] = map[string]any{kind: values[0]}
	} else {
		s["Principal"] = map[string]any{kind: values}
	}
	return s
}

// AssumeRoleBy is a trust policy letting one AWS service assume a role.
func AssumeRoleBy(service string) map[string]any {
	return PolicyDocument(Principal(Statement{
		"Effect": "Allow",
		"Action": "sts:AssumeRole",
	}, "Service", service))
}
