// Package schema embeds the JSON Schema (draft 2020-12) of app.yaml. The
// same file is shipped for editors: point yaml-language-server at it with
// `# yaml-language-server: $schema=<path>/app.schema.json`.
//
// Besides standard keywords the schema carries two annotations bgc reads
// when it reports a violation: "x-message" (the message for a failed
// pattern, enum or const at that place) and "x-hint" (an optional fix).
package schema

import _ "embed"

// JSON is the schema document.
//
//go:embed app.schema.json
var JSON []byte

// URL is the schema's $id.
const URL = "https://bgc.dev/schema/app.schema.json"
