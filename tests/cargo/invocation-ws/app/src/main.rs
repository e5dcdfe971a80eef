#[derive(serde::Serialize)]
pub struct X;

fn main() {
    let v = unsafe { std::ffi::CStr::from_ptr(libz_sys::zlibVersion()) };
    println!("{} {:?}", user::f(), v);
}
