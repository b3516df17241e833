package invalidate

// Errors the handler returns to Lambda. Lambda reports an error's type name
// as its errorType (aws-lambda-go takes it from the dynamic type), so each
// kind of failure has a named type: UnrecognizedEventError and
// InvalidationError rather than the *fmt.wrapError of a plain wrapped error.

// UnrecognizedEventError is returned for a payload that cannot be read as a
// whole: not JSON, none of the shapes [Handler.Handle] accepts, or a direct
// (non-SQS) event whose S3 events cannot be read. Retrying it cannot help.
type UnrecognizedEventError struct {
	Err error
}

func (e *UnrecognizedEventError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *UnrecognizedEventError) Unwrap() error { return e.Err }

// InvalidationError is returned for a direct (non-SQS) event whose
// invalidation could not be created, so that Lambda's asynchronous retries
// take over. Err wraps CloudFront's error. The log line of an SQS batch
// whose invalidation failed names this type too, though the batch answers
// with its failures rather than an error.
type InvalidationError struct {
	Err error
}

func (e *InvalidationError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *InvalidationError) Unwrap() error { return e.Err }
