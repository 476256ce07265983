//go:build !linux

package diskfile

func renameNoReplace(oldpath, newpath string) error { return linkThenRemove(oldpath, newpath) }
