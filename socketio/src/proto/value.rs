//! [`Value`]: a dynamically typed argument, JSON plus binary.
