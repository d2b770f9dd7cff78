package file

import (
	"fmt"
	"path"
)

// AnonNamer is a File with no place in the tree that names itself as
// Linux's anonymous inodes do ("anon_inode:[eventfd]").
type AnonNamer interface {
	AnonName() string
}

// PathOf is what readlink of /proc/PID/fd/N shows for d: the path it was
// opened by (walked up from its directory, so a renamed directory shows
// its new name), with " (deleted)" once the file has no name left;
// "pipe:[ino]" and "socket:[ino]" for pipes and sockets, and
// "anon_inode:[kind]" for the rest. A file renamed after it was opened
// still shows its old name (Linux follows the dentry).
func (c *FSContext) PathOf(d *Description) (string, error) {
	if d.loc.Node == nil {
		if n, ok := d.f.(AnonNamer); ok {
			return n.AnonName(), nil
		}
		st, err := d.Stat()
		if err != nil {
			return "", err
		}
		switch st.Mode & S_IFMT {
		case S_IFIFO:
			return fmt.Sprintf("pipe:[%d]", st.Ino), nil
		case S_IFSOCK:
			return fmt.Sprintf("socket:[%d]", st.Ino), nil
		}
		return "anon_inode:[unknown]", nil
	}
	st, err := d.loc.Node.Stat()
	if err != nil {
		return "", err
	}
	var p string
	if st.Mode&S_IFMT == S_IFDIR || d.dir.Node == nil {
		p, err = c.pathTo(d.loc.Dup())
	} else if p, err = c.pathTo(d.dir.Dup()); err == nil {
		p = path.Join(p, d.name)
	}
	switch {
	case err != nil: // its directory is gone too
		return d.name + " (deleted)", nil
	case st.Nlink == 0:
		return p + " (deleted)", nil
	}
	return p, nil
}
