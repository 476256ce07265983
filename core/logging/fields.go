package logging

// Present drops the key/value pairs whose value is an empty string, so a log line names only
// what applies: a conversion job has no provider, an export that is not an OVA no ova.
func Present(kv ...any) []any {
	out := kv[:0:0]
	for i := 0; i+1 < len(kv); i += 2 {
		if s, ok := kv[i+1].(string); ok && s == "" {
			continue
		}
		out = append(out, kv[i], kv[i+1])
	}
	return out
}
