package deploy

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// Event types of the NDJSON stream.
const (
	EventPhase     = "stack.phase"    // a stack entered a phase
	EventResource  = "resource.event" // a CloudFormation stack event
	EventChangeSet = "changeset"      // the changes of a stack's change set
	EventFailure   = "stack.failure"  // why a stack failed, with its earliest failed events
	EventWarning   = "stack.warning"  // a problem that did not fail the stack
	EventNote      = "stack.note"     // news about a stack that changes nothing (still waiting, ...)
	EventSummary   = "summary"        // the last line: every stack's result
)

// Event is one line of the NDJSON stream that Output json writes to Stdout.
type Event struct {
	Time    time.Time       `json:"time"`
	Type    string          `json:"type"`
	Stack   string          `json:"stack,omitempty"`
	Phase   Phase           `json:"phase,omitempty"`
	Message string          `json:"message,omitempty"`
	Event   *ResourceEvent  `json:"event,omitempty"`
	Changes []Change        `json:"changes,omitempty"`
	Events  []ResourceEvent `json:"events,omitempty"`
	Summary *Summary        `json:"summary,omitempty"`
}

// jsonSink writes events as NDJSON, one object per line.
type jsonSink struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func newJSONSink(w io.Writer) *jsonSink {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &jsonSink{enc: enc}
}

func (s *jsonSink) emit(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.enc.Encode(e) // a broken stdout must not stop a deployment
}
