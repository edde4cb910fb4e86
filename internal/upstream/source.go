package upstream

// Source says where a fact table was read from.
type Source struct {
	// Repo is the upstream repository (owner/name).
	Repo string `json:"repo"`
	// Paths are the files (or chart directory) read.
	Paths []string `json:"paths"`
	// Tag is the upstream release the table stands for.
	Tag string `json:"tag"`
	// Commit is the commit actually read.
	Commit string `json:"commit"`
	// ReadFrom is the snapshot the commit was read from, when it is not
	// Repo itself, and Note anything a reader must know about how close
	// Commit is to Tag.
	ReadFrom string `json:"readFrom,omitempty"`
	Note     string `json:"note,omitempty"`
	// Read is the day the table was made (YYYY-MM-DD).
	Read string `json:"read"`
	// Refresh is the command that rewrites the table.
	Refresh string `json:"refresh"`
}
