// Typed values: BTF-driven encoding and decoding of map keys/values and global variables.
export {
  decodeValue,
  encodeValue,
  encodeValueInto,
  type TypedInput,
  type TypedValue,
  valueSize,
} from "./codec.js";
