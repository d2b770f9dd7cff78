package sys

import (
	"encoding/binary"
	"syscall"

	"golang.org/x/sys/unix"

	"scone/kernel/file"
	"scone/kernel/proc"
)

// sendfile and copy_file_range: copies between descriptors through a
// kernel buffer, without the data visiting user memory.

func init() {
	Register(unix.SYS_SENDFILE, "sendfile", sysSendfile)
	Register(unix.SYS_COPY_FILE_RANGE, "copy_file_range", sysCopyFileRange)
}

// offsetArg reads an optional loff_t*: nil for NULL.
func offsetArg(t *proc.Thread, va uintptr) (*int64, error) {
	if va == 0 {
		return nil, nil
	}
	v, err := getU64(t, va)
	if err != nil {
		return nil, err
	}
	off := int64(v)
	if off < 0 {
		return nil, syscall.EINVAL
	}
	return &off, nil
}

func putOffset(t *proc.Thread, va uintptr, off *int64) error {
	if off == nil {
		return nil
	}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(*off))
	return t.Mem().CopyOut(va, b[:])
}

// copyData moves up to n bytes from in to out, each at its explicit offset
// (when not nil, advancing it) or its description's, a chunk at a time
// until n bytes or a short read or write.
func copyData(t *proc.Thread, in, out *file.Description, inOff, outOff *int64, n int) (int, error) {
	buf := make([]byte, min(n, chunk))
	done := 0
	for done < n {
		b := buf[:min(n-done, chunk)]
		var r int
		var err error
		if inOff != nil {
			r, err = in.ReadAt(t.Ctx(), b, *inOff)
		} else {
			r, err = in.Read(t.Ctx(), b)
		}
		if r == 0 || err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
		var w int
		if outOff != nil {
			w, err = out.WriteAt(t.Ctx(), b[:r], *outOff)
			*outOff += int64(w)
		} else {
			w, err = out.Write(t.Ctx(), b[:r])
		}
		if inOff != nil {
			*inOff += int64(w)
		} else if w < r {
			in.Seek(int64(w-r), file.SeekCur) // give back what was not written
		}
		done += w
		if err != nil {
			if err == syscall.EPIPE {
				t.Signal(sigpipe)
			}
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
		if w < r || r < len(b) {
			break
		}
	}
	return done, nil
}

// sysSendfile copies from a file with offsets (in) to any descriptor.
func sysSendfile(t *proc.Thread, a Args) (uintptr, error) {
	out, err := getFD(t, a[0])
	if err != nil {
		return 0, err
	}
	defer out.DecRef()
	in, err := getFD(t, a[1])
	if err != nil {
		return 0, err
	}
	defer in.DecRef()
	if _, ok := in.File().(file.Positional); !ok {
		return 0, syscall.EINVAL
	}
	if out.Flags()&file.O_APPEND != 0 {
		return 0, syscall.EINVAL
	}
	off, err := offsetArg(t, a[2])
	if err != nil {
		return 0, err
	}
	n, err := copyData(t, in, out, off, nil, int(min(a[3], maxRWSize)))
	if perr := putOffset(t, a[2], off); perr != nil && err == nil {
		err = perr
	}
	return uintptr(n), err
}

// sysCopyFileRange copies between two regular files.
func sysCopyFileRange(t *proc.Thread, a Args) (uintptr, error) {
	if a[5] != 0 {
		return 0, syscall.EINVAL
	}
	in, err := getFD(t, a[0])
	if err != nil {
		return 0, err
	}
	defer in.DecRef()
	out, err := getFD(t, a[2])
	if err != nil {
		return 0, err
	}
	defer out.DecRef()
	for _, d := range []*file.Description{in, out} {
		st, err := d.Stat()
		if err != nil {
			return 0, err
		}
		switch st.Mode & file.S_IFMT {
		case file.S_IFREG:
		case file.S_IFDIR:
			return 0, syscall.EISDIR
		default:
			return 0, syscall.EINVAL
		}
	}
	if out.Flags()&file.O_APPEND != 0 {
		return 0, syscall.EBADF
	}
	inOff, err := offsetArg(t, a[1])
	if err != nil {
		return 0, err
	}
	outOff, err := offsetArg(t, a[3])
	if err != nil {
		return 0, err
	}
	n, err := copyData(t, in, out, inOff, outOff, int(min(a[4], maxRWSize)))
	if perr := putOffset(t, a[1], inOff); perr != nil && err == nil {
		err = perr
	}
	if perr := putOffset(t, a[3], outOff); perr != nil && err == nil {
		err = perr
	}
	return uintptr(n), err
}
