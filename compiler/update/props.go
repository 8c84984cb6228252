package update

// props are one type's create-only property paths (below Properties).
type props struct {
	createOnly, conditional []string
}
