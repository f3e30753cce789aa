"""Sub-commands of `h2ot`. Each module offers `add_parser(subparsers)`, which registers its parser and
sets `run=<function(args) -> int>` as the parser's default; the functions only parse and call the library."""
