//! A real Dask cluster on 127.0.0.1 for the Dask executor test: a scheduler and two
//! workers, each its own `python3` process, killed when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

// The cluster and `pip` run the CPython the tests embed (the client runs in the
// engine, and the packages' compiled parts are per major.minor).
use crate::PYTHON;

/// Where `dask[distributed]` is installed (`pip install --target TARGET/pydeps/dask`,
/// as `.ci/run` does, with the embedded Python's `pip`); `target_tmpdir` is the test's
/// `CARGO_TARGET_TMPDIR`, so each target directory (one per Python) has its own.
pub fn dask_packages(target_tmpdir: &str) -> PathBuf {
    let dir = Path::new(target_tmpdir).join("../pydeps/dask");
    if !dir.join("distributed").is_dir() {
        // `.ci/run` installs it ahead; a developer's first `cargo test` does it here.
        let status = Command::new(PYTHON)
            .args(["-m", "pip", "install", "--quiet", "--target"])
            .arg(&dir)
            .arg("dask[distributed]")
            .status()
            .expect("python3 -m pip runs");
        assert!(
            status.success(),
            "pip install --target {} dask[distributed] failed",
            dir.display()
        );
    }
    dir
}

/// A scheduler and two workers; all processes are killed on drop.
pub struct DaskCluster {
    /// The file the scheduler writes its address to; clients connect with it.
    pub scheduler_file: PathBuf,
    scheduler: Child,
    /// The worker processes, by name (`w0`, `w1`).
    pub workers: Vec<(String, Child)>,
}

impl DaskCluster {
    /// Starts the cluster; `python_path` is what workers need to import the broker.
    pub fn start(dir: &Path, packages: &Path, python_path: &str) -> DaskCluster {
        let scheduler_file = dir.join("scheduler.json");
        let _ = std::fs::remove_file(&scheduler_file);
        let env_path = format!("{}:{python_path}", packages.display());
        let spawn = |args: &[&str]| {
            Command::new(PYTHON)
                .args(args)
                .env("PYTHONPATH", &env_path)
                .current_dir(dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("python3 starts")
        };
        let file = scheduler_file.to_str().unwrap();
        let scheduler = spawn(&[
            "-m",
            "distributed.cli.dask_scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--dashboard-address",
            ":0",
            "--scheduler-file",
            file,
        ]);
        // Workers and clients wait for the scheduler file themselves.
        let workers = (0..2)
            .map(|i| {
                let name = format!("w{i}");
                let worker = spawn(&[
                    "-m",
                    "distributed.cli.dask_worker",
                    "--scheduler-file",
                    file,
                    "--host",
                    "127.0.0.1",
                    "--nthreads",
                    "2",
                    "--nworkers",
                    "1",
                    "--no-nanny",
                    "--dashboard-address",
                    ":0",
                    "--name",
                    &name,
                ]);
                (name, worker)
            })
            .collect();
        DaskCluster {
            scheduler_file,
            scheduler,
            workers,
        }
    }

    /// Kills worker `name` at once (SIGKILL), as a crashed machine would vanish.
    pub fn kill_worker(&mut self, name: &str) {
        let (_, worker) = self
            .workers
            .iter_mut()
            .find(|(n, _)| n == name)
            .expect("a worker");
        worker.kill().expect("the worker can be killed");
        let _ = worker.wait();
    }
}

impl Drop for DaskCluster {
    fn drop(&mut self) {
        for (_, worker) in &mut self.workers {
            let _ = worker.kill();
            let _ = worker.wait();
        }
        let _ = self.scheduler.kill();
        let _ = self.scheduler.wait();
    }
}
