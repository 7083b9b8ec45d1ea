"""Reference stacks: each synthesizes offline with built-in example settings."""
