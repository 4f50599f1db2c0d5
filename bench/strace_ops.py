#!/usr/bin/python3
"""The file system calls of a traced ocitools run, as bench/closure_floor.c replays them.

Reads the files of `strace -ff -o PREFIX` (one per thread) and prints one line per unit of work,
tab-separated: `S PATH` (lstat), `T PATH` (stat), `K PATH` (readlink), or an open file's calls
from open to close: `O PATH` then `F` (fstat), `P SIZE OFFSET` (pread), `R SIZE` (read), `M SIZE`
(mmap, then munmap) and `G` (read the directory to its end). The dynamic loader's own opens (no
O_NONBLOCK: ocitools opens every file it reads with it) are left out with what they did: the
process start is not the closure's. Usage: strace_ops.py PREFIX > OPS
"""
import glob
import re
import sys

CALL = re.compile(r'^(\w+)\((.*)\)\s+=\s+(-?\d+|0x[0-9a-f]+)')
PATH = re.compile(r'^(AT_FDCWD|\d+), "((?:[^"\\]|\\.)*)"')


def units(lines):
    open_files = {}  # fd -> [fields], or None for a file left out
    for line in lines:
        m = CALL.match(line)
        if not m:
            continue
        name, args, result = m.groups()
        if result.startswith('-') and name not in ('newfstatat', 'readlinkat'):
            continue  # a failed open or read; a failed lookup costs its walk, and is replayed
        if name == 'openat':
            p = PATH.match(args)
            if not p or p.group(1) != 'AT_FDCWD':
                continue
            wanted = 'O_NONBLOCK' in args or 'O_DIRECTORY' in args
            open_files[int(result)] = ['O', p.group(2)] if wanted else None
        elif name == 'close':
            fields = open_files.pop(int(args), None)
            if fields:
                yield fields
        elif name in ('newfstatat', 'readlinkat'):
            p = PATH.match(args)
            if not p:
                continue
            if p.group(1) != 'AT_FDCWD':
                fields = open_files.get(int(p.group(1)))
                if fields and p.group(2) == '':
                    fields.append('F')
                continue
            if name == 'readlinkat':
                yield ['K', p.group(2)]
            else:
                yield ['S' if 'AT_SYMLINK_NOFOLLOW' in args else 'T', p.group(2)]
        elif name in ('pread64', 'read', 'getdents64'):
            fd = int(args.split(',', 1)[0])
            fields = open_files.get(fd)
            if not fields:
                continue
            if name == 'getdents64':
                if fields[-1] != 'G':
                    fields.append('G')
                continue
            numbers = re.findall(r'(\d+)', args.rsplit('"', 1)[-1])
            if name == 'pread64':
                fields += ['P', numbers[-2], numbers[-1]]
            else:
                fields += ['R', numbers[-1]]
        elif name == 'mmap':
            parts = [a.strip() for a in args.split(',')]
            if len(parts) == 6 and parts[4].isdigit() and int(parts[4]) in open_files:
                fields = open_files[int(parts[4])]
                if fields:
                    fields += ['M', parts[1]]


def main():
    for path in sorted(glob.glob(sys.argv[1] + '.*')):
        with open(path, errors='replace') as f:
            for fields in units(f):
                print('\t'.join(fields))


if __name__ == '__main__':
    main()
