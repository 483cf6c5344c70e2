//! Virtual environments: a real `python3 -m venv`, its site-packages and `.pth` files
//! on the import path, system site dirs removed, and clear errors for bad venvs.

use pime::Value;
use pime_tests::{call_ok, make_venv, s, scratch_dir, start_in_venv, venv_site_packages};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brokers_import_from_the_venv() {
    let dir = scratch_dir(env!("CARGO_TARGET_TMPDIR"), "venv-ok");
    let venv = make_venv(&dir);
    let site = venv_site_packages(&venv);
    // The broker is installed into the venv...
    std::fs::write(
        site.join("venv_broker.py"),
        "import sys, editable_mod\n\
         def broker(command, params):\n\
         \x20   return {'prefix': sys.prefix, 'path': sys.path, 'editable': editable_mod.VALUE}\n",
    )
    .unwrap();
    // ...and imports a module that only a `.pth` file (an editable install) reaches.
    let editable = dir.join("editable_src");
    std::fs::create_dir_all(&editable).unwrap();
    std::fs::write(editable.join("editable_mod.py"), "VALUE = 'from .pth'\n").unwrap();
    std::fs::write(
        site.join("editable.pth"),
        format!("{}\n", editable.display()),
    )
    .unwrap();

    let engine = start_in_venv(&venv).await.expect("the venv engine starts");
    let Value::Map(answer) = call_ok("info", &[]).await else {
        panic!("a dict")
    };
    assert_eq!(answer[&s("editable")], s("from .pth"));
    assert_eq!(answer[&s("prefix")], s(venv.to_str().unwrap()));
    let Value::Seq(path) = &answer[&s("path")] else {
        panic!("a list")
    };
    assert!(path.contains(&s(site.to_str().unwrap())), "{path:?}");
    // include-system-site-packages = false: no system site dir stays on sys.path.
    for entry in path {
        let Value::String(entry) = entry else {
            panic!()
        };
        let system_site = (entry.ends_with("site-packages") || entry.ends_with("dist-packages"))
            && !entry.starts_with(venv.to_str().unwrap());
        assert!(!system_site, "system site dir {entry} is still on sys.path");
    }
    engine.stop().await.unwrap();
}
