#[automatically_derived]
impl ::socketio::Event for ChatMessage {
    const NAME: &'static str = "chat message";
}
#[automatically_derived]
impl<T: Clone> crate::rt::Event for Batch<T>
where
    T: Send,
{
    const NAME: &'static str = "batch";
}
