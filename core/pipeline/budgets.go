package pipeline

import "context"

// LocalBudgets are export.source_budgets on a single daemon: a counting semaphore per source.
type LocalBudgets map[string]chan struct{}

// NewLocalBudgets makes limits (source → exports at once) into budgets.
func NewLocalBudgets(limits map[string]int) LocalBudgets {
	b := LocalBudgets{}
	for source, n := range limits {
		b[source] = make(chan struct{}, n)
	}
	return b
}

// Acquire waits for one of source's slots.
func (b LocalBudgets) Acquire(ctx context.Context, source, _ string) (func(), error) {
	slots, ok := b[source]
	if !ok {
		return func() {}, nil
	}
	select {
	case slots <- struct{}{}:
		return func() { <-slots }, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}
