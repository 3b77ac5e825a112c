/** Program header type of the dynamic loader's path: present in every dynamically linked executable. */
const PT_INTERP = 3;

/**
 * True when `head` (the first bytes of a file, program headers included)
 * is an ELF executable that needs no dynamic loader, so it runs on an empty
 * (scratch) filesystem. False for any other file.
 */
export function isStaticElf(head: Buffer): boolean {
  if (head.length < 52 || head.readUInt32BE(0) !== 0x7f454c46) return false;
  const is64 = head[4] === 2;
  const little = head[5] === 1;
  const u16 = (at: number) => (little ? head.readUInt16LE(at) : head.readUInt16BE(at));
  const u32 = (at: number) => (little ? head.readUInt32LE(at) : head.readUInt32BE(at));
  if (is64 && head.length < 64) return false;
  const phoff = is64 ? Number(little ? head.readBigUInt64LE(0x20) : head.readBigUInt64BE(0x20)) : u32(0x1c);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  if (phnum === 0 || phentsize < 4 || phoff + phnum * phentsize > head.length) return false;
  for (let i = 0; i < phnum; i++) {
    if (u32(phoff + i * phentsize) === PT_INTERP) return false;
  }
  return true;
}
