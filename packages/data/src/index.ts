// @dl/data: see README.md for what this package is for. Its API arrives with the issue
// that builds it; until then it exports nothing.
export {};
