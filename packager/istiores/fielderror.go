package istiores

import (
	"errors"
	"fmt"
)

// FieldError is an invalid option, named by the resource field it sets (e.g. "failStrategy"); a CLI can
// name its own flag instead with Field.
type FieldError struct {
	// Field is the resource field, e.g. "failStrategy", "match.ports" or "selector and targetRefs".
	Field string
	// Msg says what was received and what was expected.
	Msg string
	err error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Unwrap returns the cause, if any.
func (e *FieldError) Unwrap() error { return e.err }

func fieldError(field, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &FieldError{Field: field, Msg: err.Error(), err: errors.Unwrap(err)}
}

// RenameField returns err with its field replaced by names[field] when err is a FieldError naming one of
// them (e.g. "failStrategy" by "--fail-strategy"), else err.
func RenameField(err error, names map[string]string) error {
	var fe *FieldError
	if !errors.As(err, &fe) {
		return err
	}
	if n, ok := names[fe.Field]; ok {
		return &FieldError{Field: n, Msg: fe.Msg, err: fe.err}
	}
	return err
}
