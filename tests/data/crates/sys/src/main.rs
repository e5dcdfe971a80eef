use libz_sys::{compress, compressBound, uLong, uncompress, Z_OK};

fn main() {
    let input = "ferrix ".repeat(100);
    let mut packed = vec![0u8; unsafe { compressBound(input.len() as uLong) } as usize];
    let mut packed_len = packed.len() as uLong;
    let rc = unsafe {
        compress(packed.as_mut_ptr(), &mut packed_len, input.as_ptr(), input.len() as uLong)
    };
    assert_eq!(rc, Z_OK);
    let mut unpacked = vec![0u8; input.len()];
    let mut unpacked_len = unpacked.len() as uLong;
    let rc = unsafe {
        uncompress(unpacked.as_mut_ptr(), &mut unpacked_len, packed.as_ptr(), packed_len)
    };
    assert_eq!(rc, Z_OK);
    println!("input: {} bytes", input.len());
    println!("compressed smaller: {}", (packed_len as usize) < input.len() / 10);
    println!("round trip: {}", &unpacked[..unpacked_len as usize] == input.as_bytes());
}
