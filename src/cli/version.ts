/** The release version, shown by `dfs --version` and `dfsctl --version`. */
export const VERSION = '0.1.0';
