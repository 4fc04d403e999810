// What Go's syscall.Errno prints for an errno. The CNI plugins and the runtime are Go programs and
// print these texts (`open /x/lock: permission denied`), so messages built from a Node error read
// as theirs do (https://github.com/golang/go/blob/go1.22.0/src/syscall/zerrors_linux_amd64.go).

const errnoText: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'file exists',
  EISDIR: 'is a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EINVAL: 'invalid argument',
  EDQUOT: 'disk quota exceeded',
  EMFILE: 'too many open files',
};

/** What Go's syscall.Errno prints for a Node errno (`no such file or directory`), else Node's message. */
export function goStrerror(err: unknown): string {
  return errnoText[(err as NodeJS.ErrnoException).code ?? ''] ?? (err as Error).message;
}

/** The text of a Go *os.PathError: `<op> <path>: <strerror>`. */
export function goPathErrorText(op: string, path: string, err: unknown): string {
  return `${op} ${path}: ${goStrerror(err)}`;
}
