// A stand-in for github.com/OpenRouterTeam/go-sdk, which the Go module proxy
// refuses to serve. watchman uses it only in internal/embeddings (an optional
// embeddings provider this harness never builds), so an empty module
// satisfies the module graph.
module github.com/OpenRouterTeam/go-sdk

go 1.24
