//! The viewer's sound path after the network: a stream of audio datagrams from a peer,
//! decoded as messages, arriving at times the input chooses, through the jitter buffer and
//! the Opus decoder, ticked every 10 ms as the player does. Input: records of
//! `[advance: u8][length: u8][datagram: length bytes]` — `advance` ms pass, then that
//! datagram arrives; one tick per 10 ms passed. Any panic is a bug, and so is a decoded
//! packet that is not exactly one packet's samples, or a jitter buffer holding more than
//! its bound.

use wayray_protocol::audio::jitter::{JitterBuffer, MAX_QUEUED, Playout};
use wayray_protocol::audio::{CHANNELS, PACKET_SAMPLES, PACKET_US};
use wayray_protocol::framing::decode_datagram;
use wayray_protocol::messages::audio::AudioMessage;
use wayray_protocol::sound::PacketDecoder;

pub fn check(data: &[u8]) {
    let Ok(mut decoder) = PacketDecoder::new() else {
        return;
    };
    let mut jitter = JitterBuffer::new();
    let mut now_us = 0u64;
    let mut next_tick = PACKET_US;
    let mut rest = data;
    while let [advance, length, tail @ ..] = rest {
        let length = usize::from(*length).min(tail.len());
        let (datagram, after) = tail.split_at(length);
        rest = after;
        now_us += u64::from(*advance) * 1_000;
        while next_tick <= now_us {
            play(&mut jitter, &mut decoder, next_tick);
            next_tick += PACKET_US;
        }
        if let Ok(AudioMessage::Opus(packet)) = decode_datagram::<AudioMessage>(datagram) {
            jitter.push(now_us, packet);
        }
        assert!(jitter.stats().queued <= MAX_QUEUED, "{:?}", jitter.stats());
    }
    // The rest plays out.
    for _ in 0..MAX_QUEUED + 8 {
        play(&mut jitter, &mut decoder, next_tick);
        next_tick += PACKET_US;
    }
}

fn play(jitter: &mut JitterBuffer, decoder: &mut PacketDecoder, now_us: u64) {
    let samples = match jitter.pop(now_us) {
        Playout::Packet(payload) => decoder.decode(Some(&payload)).map(|pcm| pcm.len()),
        Playout::Conceal => decoder.decode(None).map(|pcm| pcm.len()),
        Playout::Idle => None,
    };
    if let Some(samples) = samples {
        assert_eq!(
            samples,
            PACKET_SAMPLES * CHANNELS,
            "one packet's sound at a time"
        );
    }
}
