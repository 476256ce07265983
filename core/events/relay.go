package events

// Relay hands e, an event that happened on another node of the cluster, to this bus's
// subscribers (WebSocket clients) only: recorders and followers act on their own node's
// events, and that node's recorders already did (the webhook outbox is shared).
func (b *Bus) Relay(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, ch := range b.subs {
		select {
		case ch <- e:
		default:
			close(ch)
			delete(b.subs, id)
		}
	}
}
