// Package providerpb is the generated wire code of proto/hypersdk/provider/v1. It is internal:
// providers and the daemon see only the hand-written types in sdk/provider.
package providerpb
