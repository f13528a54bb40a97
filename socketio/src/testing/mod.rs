#![doc = include_str!("../../../docs/testing.md")]

mod client;
mod conn;
mod error;

pub use client::{
    AckResponder, DEFAULT_MAX_BUFFERED_EVENTS, DEFAULT_TIMEOUT, ReceivedEvent, TestClient,
    TestClientBuilder,
};
pub use error::{Disconnect, TestError};

use serde::de::{Deserialize, DeserializeOwned, Deserializer};

use crate::proto::value::Value;

/// An acknowledgement of a handler that returns `Result<T, E>`: `Ok(v)` arrives as `v`,
/// `Err(e)` as `{"error": e}` (the server's rule for `Result` return values). Decode an ack
/// as `AckResult<T>` to tell them apart; [`AckResult::into_result`] gives the `Result` back.
///
/// An `Ok` value that is itself an object with the single key `error` reads as `Err`.
///
/// ```
/// use socketio::SocketIo;
/// use socketio::testing::{AckResult, TestClient};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), socketio::testing::TestError> {
/// let io = SocketIo::builder().build().unwrap();
/// io.of("/").on("half", async |n: u32| {
///     if n % 2 == 0 { Ok(n / 2) } else { Err(format!("{n} is odd")) }
/// });
///
/// let client = TestClient::connect(&io).await?;
/// let even: AckResult<u32> = client.emit_with_ack("half", &8).await?;
/// assert_eq!(even, AckResult::Ok(4));
/// let odd: AckResult<u32> = client.emit_with_ack("half", &3).await?;
/// assert_eq!(odd.into_result(), Err("3 is odd".to_owned()));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckResult<T, E = String> {
    /// The handler returned `Ok(v)`.
    Ok(T),
    /// The handler returned `Err(e)`.
    Err(E),
}

impl<T, E> AckResult<T, E> {
    /// As a `Result`.
    pub fn into_result(self) -> Result<T, E> {
        match self {
            Self::Ok(v) => Ok(v),
            Self::Err(e) => Err(e),
        }
    }
}

impl<'de, T: DeserializeOwned, E: DeserializeOwned> Deserialize<'de> for AckResult<T, E> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let value = Value::deserialize(d)?;
        if let Some(map) = value.as_object() {
            if map.len() == 1 {
                if let Some(error) = map.get("error") {
                    return E::deserialize(error.clone())
                        .map(Self::Err)
                        .map_err(D::Error::custom);
                }
            }
        }
        T::deserialize(value)
            .map(Self::Ok)
            .map_err(D::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::AckResult;

    #[test]
    fn ack_result_reads_the_error_object_as_err() {
        let ok: AckResult<u32> = serde_json::from_str("3").unwrap();
        assert_eq!(ok, AckResult::Ok(3));
        let err: AckResult<u32> = serde_json::from_str(r#"{"error":"bad"}"#).unwrap();
        assert_eq!(err, AckResult::Err("bad".into()));
        // An object with more keys than `error` is an `Ok` value.
        let ok: AckResult<serde_json::Value> =
            serde_json::from_str(r#"{"error":"x","more":1}"#).unwrap();
        assert!(matches!(ok, AckResult::Ok(_)));
        let typed: AckResult<(), u16> = serde_json::from_str(r#"{"error":404}"#).unwrap();
        assert_eq!(typed.into_result(), Err(404));
    }
}
