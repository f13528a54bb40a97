//! The browser suites' tools: `node` for the playwright driver scripts in `tests/browser/`,
//! and Debian's headless Chromium.

use std::path::{Path, PathBuf};

use crate::services::{loud, services_required};

/// What a browser suite runs: `node` (the driver) and the Chromium binary it steers.
#[derive(Debug, Clone)]
pub struct Browser {
    /// `node`, found on `PATH`.
    pub node: PathBuf,
    /// `CHROMIUM`, or `/usr/bin/chromium`.
    pub chromium: PathBuf,
}

fn on_path(bin: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(bin))
        .find(|p| p.is_file())
}

impl Browser {
    /// `node`, Chromium and playwright-core (`tests/browser/node_modules`, from
    /// `tests/install/npm.sh`), plus each of `extra`: a file or folder the suite needs and the
    /// sentence to print when it is missing. Everything missing, in one list.
    pub fn find(root: &Path, extra: &[(PathBuf, &str)]) -> Result<Browser, Vec<String>> {
        let mut missing = Vec::new();
        let node = on_path("node");
        if node.is_none() {
            missing.push("`node` is not on PATH".to_owned());
        }
        let chromium = std::env::var_os("CHROMIUM")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
        if !chromium.is_file() {
            missing.push(format!(
                "{} is missing: `apt-get install -y chromium`",
                chromium.display()
            ));
        }
        if !root
            .join("tests/browser/node_modules/playwright-core")
            .is_dir()
        {
            missing.push("playwright-core is missing: run tests/install/npm.sh".to_owned());
        }
        for (path, why) in extra {
            if !path.exists() {
                missing.push((*why).to_owned());
            }
        }
        match node {
            Some(node) if missing.is_empty() => Ok(Browser { node, chromium }),
            _ => Err(missing),
        }
    }

    /// [`Browser::find`], or `None` after a loud `SKIPPED: <test>: ...` line; panics instead
    /// when [`services_required`] (CI).
    pub fn or_skip(test: &str, root: &Path, extra: &[(PathBuf, &str)]) -> Option<Browser> {
        match Self::find(root, extra) {
            Ok(b) => Some(b),
            Err(missing) => {
                let what = missing.join("; ");
                if services_required() {
                    panic!("{test} cannot run: {what}");
                }
                loud(&format!("SKIPPED: {test}: {what}"));
                None
            }
        }
    }
}
