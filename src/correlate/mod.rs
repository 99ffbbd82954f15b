//! Correlation: who is who, whose clock is off, and which evidence belongs
//! to which failing sender → receiver pair.

pub mod attribution;
pub mod case;
pub mod clock;
pub mod date_order;
pub mod identity;
pub mod incident;
