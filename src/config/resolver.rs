//! Which settings govern a file: its nearest config file, with the command line's overrides.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::base::error::Result;
use crate::config::settings::{find_config, resolve, Settings};

/// The settings of every file: the nearest config file above it wins (as in ruff), with the
/// command line's overrides; `--config FILE` makes one file govern all. Config lookups and
/// loaded files are cached, so a walk asks once per folder.
pub struct Resolver {
    start: Arc<Settings>,
    /// Which rule codes and prefixes exist (the rule table sits above this layer).
    is_code_prefix: fn(&str) -> bool,
    nearest: Mutex<HashMap<PathBuf, Option<PathBuf>>>,
    loaded: Mutex<HashMap<PathBuf, Arc<Settings>>>,
}

impl Resolver {
    /// `start`: the settings the run began with (from `--config`, the nearest config of the
    /// first path, or the defaults); files without a config of their own use them.
    /// `is_code_prefix` checks the codes nested config files name.
    pub fn new(start: &Settings, is_code_prefix: fn(&str) -> bool) -> Arc<Resolver> {
        Arc::new(Resolver {
            start: Arc::new(start.clone()),
            is_code_prefix,
            nearest: Mutex::new(HashMap::new()),
            loaded: Mutex::new(HashMap::new()),
        })
    }

    pub fn start(&self) -> &Arc<Settings> {
        &self.start
    }

    /// The config file nearest to `dir` (a folder), walking up.
    pub fn config_for_dir(&self, dir: &Path) -> Option<PathBuf> {
        if self.start.overrides.config_pinned {
            return self.start.config_path.clone();
        }
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Some(found) = self.nearest.lock().ok().and_then(|m| m.get(dir).cloned()) {
            return found;
        }
        let found = find_config(dir);
        if let Ok(mut m) = self.nearest.lock() {
            m.insert(dir.to_path_buf(), found.clone());
        }
        found
    }

    /// The settings for files in folder `dir`.
    pub fn for_dir(&self, dir: &Path) -> Result<Arc<Settings>> {
        let Some(config) = self.config_for_dir(dir) else {
            return Ok(self.start.clone());
        };
        if self.start.config_path.as_deref().is_some_and(|s| same_file(s, &config)) {
            return Ok(self.start.clone());
        }
        if let Some(s) = self.loaded.lock().ok().and_then(|m| m.get(&config).cloned()) {
            return Ok(s);
        }
        let s = Arc::new(resolve(Some(&config), &self.start.overrides, &self.is_code_prefix)?);
        if let Ok(mut m) = self.loaded.lock() {
            m.insert(config, s.clone());
        }
        Ok(s)
    }

    /// The settings for a file.
    pub fn for_file(&self, file: &Path) -> Result<Arc<Settings>> {
        self.for_dir(file.parent().unwrap_or(Path::new(".")))
    }
}

pub fn same_file(a: &Path, b: &Path) -> bool {
    a == b || std::path::absolute(a).ok() == std::path::absolute(b).ok()
}
